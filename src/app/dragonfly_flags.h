// The flags Dragonfly defines that Darner does not implement. A Dragonfly command line, flag file
// or systemd unit works unchanged: each such flag parses with Dragonfly's type and default, and
// one set to another value logs one warning line at start, since it has no effect.
#pragma once

namespace darner {

// Logs one warning per flag of the table whose value is not its default; call once at start.
void WarnAboutUnsupportedFlags();

}  // namespace darner
