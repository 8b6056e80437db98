#include "server/command_registry.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_split.h>

#include "base/logging.h"
#include "base/strings.h"
#include "facade/reply_builder.h"

namespace darner {

namespace {

// The first argument of a spec's keys, or -1 when the spec finds none in `args`.
int SpecStart(const KeySpec& spec, CmdArgList args) {
  const int argc = static_cast<int>(args.size());
  if (spec.keyword.empty()) return spec.index < argc ? spec.index : -1;
  if (spec.startfrom >= 0) {
    for (int i = std::max(spec.startfrom, 1); i < argc; ++i) {
      if (EqualsIgnoreCase(args[i], spec.keyword)) return i + 1 < argc ? i + 1 : -1;
    }
  } else {
    for (int i = argc + spec.startfrom; i >= 1; --i) {
      if (EqualsIgnoreCase(args[i], spec.keyword)) return i + 1 < argc ? i + 1 : -1;
    }
  }
  return -1;
}

}  // namespace

bool CommandId::KeyPositions(CmdArgList args, std::vector<size_t>* out) const {
  out->clear();
  return ForEachKey(args, [out](size_t pos) { out->push_back(pos); });
}

bool CommandId::ForEachKey(CmdArgList args, absl::FunctionRef<void(size_t)> fn) const {
  return ForEachKeyOfSpec(args, [fn](size_t pos, size_t) { fn(pos); });
}

uint16_t CommandId::KeyFlags(CmdArgList args, size_t spec_index) const {
  const KeySpec& spec = keys[spec_index];
  if ((spec.flags & ks::kVariableFlags) && key_flags) return key_flags(args, spec_index);
  return spec.flags;
}

bool CommandId::ForEachKeyOfSpec(CmdArgList args,
                                 absl::FunctionRef<void(size_t pos, size_t spec)> fn) const {
  const int argc = static_cast<int>(args.size());
  for (size_t spec_index = 0; spec_index < keys.size(); ++spec_index) {
    const KeySpec& spec = keys[spec_index];
    int first = SpecStart(spec, args);
    if (first < 0) continue;
    int last = 0;
    int step = spec.keystep;
    if (spec.find == KeySpec::Find::kRange) {
      if (spec.lastkey >= 0) {
        last = first + spec.lastkey;
      } else if (spec.limit <= 1) {
        last = argc + spec.lastkey;
      } else {
        last = first + (argc - first) / spec.limit + spec.lastkey;
      }
    } else {
      const int at = first + spec.keynumidx;
      int64_t count = 0;
      if (at >= argc ||
          !absl::SimpleAtoi(absl::string_view(args[at].data(), args[at].size()), &count) ||
          count < 0) {
        if (spec.flags & ks::kIncomplete) continue;
        return false;
      }
      first = at + spec.firstkey;
      // More keys than arguments: the command reports it; the spec is not usable.
      if (count > (argc - first + step - 1) / step) {
        if (spec.flags & ks::kIncomplete) continue;
        return false;
      }
      last = first + static_cast<int>(count - 1) * step;
    }
    // A variadic command with too few arguments leaves a range short; the command itself
    // reports that.
    for (int i = first; i <= last && i < argc; i += step) fn(static_cast<size_t>(i), spec_index);
  }
  return true;
}

void CommandId::DeriveLegacyRange() {
  // Redis 7's rule: the legacy range covers the index+range specs that follow each other with
  // step 1 (or the one spec, whatever its step); any other spec makes the keys movable.
  first_key = last_key = key_step = 0;
  auto plain = [](const KeySpec& k) {
    return k.keyword.empty() && k.find == KeySpec::Find::kRange;
  };
  bool movable = false;
  if (keys.size() == 1 && plain(keys[0])) {
    const KeySpec& k = keys[0];
    first_key = k.index;
    last_key = k.lastkey < 0 ? k.lastkey : k.index + k.lastkey;
    key_step = k.keystep;
    movable = k.flags & ks::kIncomplete;
  } else {
    int first = 0;
    int last = 0;  // absolute, or negative from the end
    for (const KeySpec& k : keys) {
      if (!plain(k) || k.keystep != 1 || (last != 0 && last != k.index - 1)) {
        movable = true;
        continue;
      }
      if (k.flags & ks::kIncomplete) movable = true;
      first = first == 0 ? k.index : std::min(first, k.index);
      int abs_last = k.lastkey < 0 ? k.lastkey : k.index + k.lastkey;
      // Compared as unsigned, as Redis does: a negative last (to the end) wins.
      last = static_cast<unsigned>(abs_last) > static_cast<unsigned>(last) ? abs_last : last;
    }
    if (first > 0) {
      first_key = first;
      last_key = last;
      key_step = 1;
    }
  }
  if (movable) flags |= co::kMovableKeys;
}

bool CommandRegistry::Restrict(std::string_view name) {
  const CommandId* found = Find(name);
  if (found == nullptr || found->parent != nullptr) return false;
  auto* cid = const_cast<CommandId*>(found);  // entries are owned here
  cid->restricted = true;
  for (const CommandId* sub : cid->subcommands) const_cast<CommandId*>(sub)->restricted = true;
  return true;
}

CommandRegistry& CommandRegistry::operator<<(CommandId cid) {
  cid.index = commands_.size();
  cid.DeriveLegacyRange();
  std::string name = cid.name;
  CHECK(!by_name_.contains(name)) << "duplicate command " << name;
  CommandId* parent = nullptr;
  if (size_t bar = name.find('|'); bar != std::string::npos) {
    auto it = by_name_.find(name.substr(0, bar));
    CHECK(it != by_name_.end()) << "subcommand " << name << " registered before its parent";
    parent = const_cast<CommandId*>(it->second);
    cid.parent = parent;
  } else if (!(cid.flags & co::kHidden)) {
    ++top_level_;
  }
  commands_.push_back(std::move(cid));
  by_name_[name] = &commands_.back();
  if (parent) parent->subcommands.push_back(&commands_.back());
  return *this;
}

const CommandId* CommandRegistry::FindSub(const CommandId& parent, std::string_view sub) const {
  if (sub.size() > 32) return nullptr;
  std::string full = parent.name + "|";
  for (char c : sub) full.push_back(AsciiUpper(c));
  auto it = by_name_.find(full);
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandId* CommandRegistry::Find(std::string_view name) const {
  char upper[64];
  if (name.size() > sizeof(upper)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) upper[i] = AsciiUpper(name[i]);
  auto it = by_name_.find(absl::string_view(upper, name.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

namespace {

struct FlagName {
  uint32_t flag;
  const char* name;
};

constexpr FlagName kFlagNames[] = {
    {co::kWrite, "write"},
    {co::kReadOnly, "readonly"},
    {co::kDenyOom, "denyoom"},
    {co::kAdmin, "admin"},
    {co::kPubSub, "pubsub"},
    {co::kNoScript, "noscript"},
    {co::kBlocking, "blocking"},
    {co::kLoading, "loading"},
    {co::kStale, "stale"},
    {co::kSkipMonitor, "skip_monitor"},
    {co::kSkipSlowlog, "skip_slowlog"},
    {co::kFast, "fast"},
    {co::kNoAuth, "no_auth"},
    {co::kMayReplicate, "may_replicate"},
    {co::kNoMandatoryKeys, "no_mandatory_keys"},
    {co::kNoMulti, "no_multi"},
    {co::kMovableKeys, "movablekeys"},
    {co::kAllowBusy, "allow_busy"},
    {co::kNoAsyncLoading, "no_async_loading"},
};

constexpr FlagName kKeySpecFlagNames[] = {
    {ks::kRO, "RO"},
    {ks::kRW, "RW"},
    {ks::kOW, "OW"},
    {ks::kRM, "RM"},
    {ks::kAccess, "access"},
    {ks::kUpdate, "update"},
    {ks::kInsert, "insert"},
    {ks::kDelete, "delete"},
    {ks::kNotKey, "not_key"},
    {ks::kIncomplete, "incomplete"},
    {ks::kVariableFlags, "variable_flags"},
};

void SendKeySpec(const KeySpec& spec, ReplyBuilder* rb) {
  rb->StartMap(spec.notes.empty() ? 3 : 4);
  if (!spec.notes.empty()) {
    rb->SendBulk("notes");
    rb->SendBulk(spec.notes);
  }
  rb->SendBulk("flags");
  SendKeyFlags(spec.flags, rb);
  rb->SendBulk("begin_search");
  rb->StartMap(2);
  rb->SendBulk("type");
  if (spec.keyword.empty()) {
    rb->SendBulk("index");
    rb->SendBulk("spec");
    rb->StartMap(1);
    rb->SendBulk("index");
    rb->SendLong(spec.index);
  } else {
    rb->SendBulk("keyword");
    rb->SendBulk("spec");
    rb->StartMap(2);
    rb->SendBulk("keyword");
    rb->SendBulk(spec.keyword);
    rb->SendBulk("startfrom");
    rb->SendLong(spec.startfrom);
  }
  rb->SendBulk("find_keys");
  rb->StartMap(2);
  rb->SendBulk("type");
  if (spec.find == KeySpec::Find::kRange) {
    rb->SendBulk("range");
    rb->SendBulk("spec");
    rb->StartMap(3);
    rb->SendBulk("lastkey");
    rb->SendLong(spec.lastkey);
    rb->SendBulk("keystep");
    rb->SendLong(spec.keystep);
    rb->SendBulk("limit");
    rb->SendLong(spec.limit);
  } else {
    rb->SendBulk("keynum");
    rb->SendBulk("spec");
    rb->StartMap(3);
    rb->SendBulk("keynumidx");
    rb->SendLong(spec.keynumidx);
    rb->SendBulk("firstkey");
    rb->SendLong(spec.firstkey);
    rb->SendBulk("keystep");
    rb->SendLong(spec.keystep);
  }
}

}  // namespace

void SendKeyFlags(uint16_t flags, ReplyBuilder* rb) {
  size_t n = 0;
  for (const auto& f : kKeySpecFlagNames) n += (flags & f.flag) ? 1 : 0;
  rb->StartSet(n);
  for (const auto& f : kKeySpecFlagNames) {
    if (flags & f.flag) rb->SendSimpleString(f.name);
  }
}

void SendCommandInfo(const CommandId& cid, ReplyBuilder* rb) {
  rb->StartArray(10);
  rb->SendBulk(ToLower(cid.name));
  rb->SendLong(cid.arity);
  size_t nflags = 0;
  for (const auto& f : kFlagNames) nflags += (cid.flags & f.flag) ? 1 : 0;
  rb->StartSet(nflags);
  for (const auto& f : kFlagNames) {
    if (cid.flags & f.flag) rb->SendSimpleString(f.name);
  }
  rb->SendLong(cid.first_key);
  rb->SendLong(cid.last_key);
  rb->SendLong(cid.key_step);
  std::vector<absl::string_view> cats = absl::StrSplit(cid.acl, ' ', absl::SkipEmpty());
  rb->StartSet(cats.size());
  for (absl::string_view c : cats) rb->SendSimpleString(std::string_view(c.data(), c.size()));
  std::vector<std::string_view> tips;
  for (std::string_view rest = cid.tips; !rest.empty();) {
    size_t end = std::min(rest.find(' '), rest.size());
    if (end > 0) tips.push_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  rb->StartArray(tips.size());
  for (std::string_view tip : tips) rb->SendBulk(tip);
  rb->StartArray(cid.keys.size());
  for (const KeySpec& spec : cid.keys) SendKeySpec(spec, rb);
  rb->StartArray(cid.subcommands.size());
  for (const CommandId* sub : cid.subcommands) SendCommandInfo(*sub, rb);
}

namespace {

constexpr const char* kArgTypeNames[] = {"string",    "integer",    "double", "key",  "pattern",
                                         "unix-time", "pure-token", "oneof",  "block"};

constexpr FlagName kArgFlagNames[] = {
    {arg::kOptional, "optional"},
    {arg::kMultiple, "multiple"},
    {arg::kMultipleToken, "multiple_token"},
};

constexpr FlagName kDocFlagNames[] = {
    {doc::kDeprecated, "deprecated"},
    {doc::kSysCmd, "syscmd"},
};

// The flags set in `flags` as a set of simple strings, in table order.
template <size_t N>
void SendFlagSet(uint32_t flags, const FlagName (&names)[N], ReplyBuilder* rb) {
  size_t n = 0;
  for (const auto& f : names) n += (flags & f.flag) ? 1 : 0;
  rb->StartSet(n);
  for (const auto& f : names) {
    if (flags & f.flag) rb->SendSimpleString(f.name);
  }
}

// One argument's map, with its members' after it: the fields Redis sends, in its order, only
// those that are set.
void SendCommandArg(const CommandArg& a, ReplyBuilder* rb) {
  const bool nested = a.type == arg::kOneOf || a.type == arg::kBlock;
  rb->StartMap(2 + (a.key_spec_index >= 0) + !a.token.empty() + !a.summary.empty() +
               !a.since.empty() + !a.deprecated_since.empty() + (a.flags != 0) + nested);
  rb->SendBulk("name");
  rb->SendBulk(a.name);
  rb->SendBulk("type");
  rb->SendBulk(kArgTypeNames[a.type]);
  if (a.key_spec_index >= 0) {
    rb->SendBulk("key_spec_index");
    rb->SendLong(a.key_spec_index);
  }
  auto optional = [rb](std::string_view field, std::string_view value) {
    if (value.empty()) return;
    rb->SendBulk(field);
    rb->SendBulk(value);
  };
  optional("token", a.token);
  optional("summary", a.summary);
  optional("since", a.since);
  optional("deprecated_since", a.deprecated_since);
  if (a.flags != 0) {
    rb->SendBulk("flags");
    SendFlagSet(a.flags, kArgFlagNames, rb);
  }
  if (nested) {
    rb->SendBulk("arguments");
    rb->StartArray(a.args.size());
    for (const CommandArg& member : a.args) SendCommandArg(member, rb);
  }
}

// The docs map of one command (without its name), its subcommands' nested in it.
void SendDocsMap(const CommandId& cid, ReplyBuilder* rb) {
  rb->StartMap(2 + !cid.since.empty() + !cid.complexity.empty() + (cid.doc_flags != 0) +
               !cid.deprecated_since.empty() + !cid.replaced_by.empty() + !cid.history.empty() +
               !cid.args.empty() + !cid.subcommands.empty());
  auto optional = [rb](std::string_view field, std::string_view value) {
    if (value.empty()) return;
    rb->SendBulk(field);
    rb->SendBulk(value);
  };
  rb->SendBulk("summary");
  rb->SendBulk(cid.summary);
  optional("since", cid.since);
  rb->SendBulk("group");
  rb->SendBulk(cid.group);
  optional("complexity", cid.complexity);
  if (cid.doc_flags != 0) {
    rb->SendBulk("doc_flags");
    SendFlagSet(cid.doc_flags, kDocFlagNames, rb);
  }
  optional("deprecated_since", cid.deprecated_since);
  optional("replaced_by", cid.replaced_by);
  if (!cid.history.empty()) {
    rb->SendBulk("history");
    rb->StartSet(cid.history.size());
    for (const CommandHistory& h : cid.history) {
      rb->StartArray(2);
      rb->SendBulk(h.version);
      rb->SendBulk(h.text);
    }
  }
  if (!cid.args.empty()) {
    rb->SendBulk("arguments");
    rb->StartArray(cid.args.size());
    for (const CommandArg& a : cid.args) SendCommandArg(a, rb);
  }
  if (!cid.subcommands.empty()) {
    rb->SendBulk("subcommands");
    rb->StartMap(cid.subcommands.size());
    for (const CommandId* sub : cid.subcommands) SendCommandDocs(*sub, rb);
  }
}

}  // namespace

void SendCommandDocs(const CommandId& cid, ReplyBuilder* rb) {
  rb->SendBulk(ToLower(cid.name));
  SendDocsMap(cid, rb);
}

}  // namespace darner
