#include "server/command_registry.h"

#include <absl/strings/ascii.h>
#include <absl/strings/str_split.h>

#include "base/logging.h"
#include "base/strings.h"
#include "facade/reply_builder.h"

namespace darner {

void CommandId::KeyPositions(size_t argc, std::vector<size_t>* out) const {
  out->clear();
  if (first_key <= 0 || argc <= static_cast<size_t>(first_key)) return;
  int last = last_key < 0 ? static_cast<int>(argc) + last_key : last_key;
  last = std::min(last, static_cast<int>(argc) - 1);
  for (int i = first_key; i <= last; i += key_step) out->push_back(static_cast<size_t>(i));
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

}  // namespace

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
  std::vector<absl::string_view> cats = absl::StrSplit(cid.acl_categories, ' ', absl::SkipEmpty());
  rb->StartSet(cats.size());
  for (absl::string_view c : cats) rb->SendSimpleString(std::string_view(c.data(), c.size()));
  rb->SendEmptyArray();  // tips
  // Key specs: one range spec derived from first/last/step.
  if (cid.first_key > 0) {
    rb->StartArray(1);
    rb->StartMap(3);
    rb->SendBulk("flags");
    bool write = cid.IsWrite();
    rb->StartSet(write ? 1 : 1);
    rb->SendSimpleString(write ? "RW" : "RO");
    rb->SendBulk("begin_search");
    rb->StartMap(2);
    rb->SendBulk("type");
    rb->SendBulk("index");
    rb->SendBulk("spec");
    rb->StartMap(1);
    rb->SendBulk("index");
    rb->SendLong(cid.first_key);
    rb->SendBulk("find_keys");
    rb->StartMap(2);
    rb->SendBulk("type");
    rb->SendBulk("range");
    rb->SendBulk("spec");
    rb->StartMap(3);
    rb->SendBulk("lastkey");
    rb->SendLong(cid.last_key < 0 ? cid.last_key : cid.last_key - cid.first_key);
    rb->SendBulk("keystep");
    rb->SendLong(cid.key_step);
    rb->SendBulk("limit");
    rb->SendLong(0);
  } else {
    rb->SendEmptyArray();
  }
  rb->StartArray(cid.subcommands.size());
  for (const CommandId* sub : cid.subcommands) SendCommandInfo(*sub, rb);
}

void SendCommandDocs(const CommandId& cid, ReplyBuilder* rb) {
  rb->SendBulk(ToLower(cid.name));
  size_t fields = 2 + !cid.since.empty() + !cid.complexity.empty();
  rb->StartMap(fields);
  rb->SendBulk("summary");
  rb->SendBulk(cid.summary);
  if (!cid.since.empty()) {
    rb->SendBulk("since");
    rb->SendBulk(cid.since);
  }
  rb->SendBulk("group");
  rb->SendBulk(cid.group);
  if (!cid.complexity.empty()) {
    rb->SendBulk("complexity");
    rb->SendBulk(cid.complexity);
  }
}

}  // namespace darner
