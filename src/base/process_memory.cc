#include "base/process_memory.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace darner {

size_t ProcessRssBytes() {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long pages = 0, resident = 0;  // "size resident shared text lib data dt"
  if (std::sscanf(buf, "%lu %lu", &pages, &resident) != 2) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t PeakRssBytes() {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return static_cast<size_t>(self.ru_maxrss) * 1024;
}

}  // namespace darner
