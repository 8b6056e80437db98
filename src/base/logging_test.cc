#include "base/logging.h"

#include <absl/flags/declare.h>
#include <absl/flags/flag.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

ABSL_DECLARE_FLAG(std::string, log_dir);
ABSL_DECLARE_FLAG(bool, logtostderr);
ABSL_DECLARE_FLAG(int32_t, v);
ABSL_DECLARE_FLAG(std::string, vmodule);
ABSL_DECLARE_FLAG(int32_t, logbuflevel);
ABSL_DECLARE_FLAG(int32_t, minloglevel);
ABSL_DECLARE_FLAG(uint32_t, max_log_size);

namespace darner {
namespace {

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Each test logs into a fresh directory and leaves logging as it found it (stderr only).
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/darner_logging_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    FlushLogs();
    absl::SetFlag(&FLAGS_log_dir, "");
    absl::SetFlag(&FLAGS_v, 0);
    absl::SetFlag(&FLAGS_vmodule, "");
    absl::SetFlag(&FLAGS_logbuflevel, 0);
    absl::SetFlag(&FLAGS_minloglevel, 0);
    absl::SetFlag(&FLAGS_max_log_size, 1800);
    InitLogging("logging_test");
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  void LogToDir() {
    absl::SetFlag(&FLAGS_log_dir, dir_);
    absl::SetFlag(&FLAGS_logbuflevel, -1);
    InitLogging("/usr/bin/prog");
  }
  std::string dir_;
};

TEST_F(LoggingTest, FilesPerLevelWithGlogNamesAndLinks) {
  LogToDir();
  LOG(INFO) << "an info line";
  LOG(WARNING) << "a warning line";
  LOG(ERROR) << "an error line";
  std::vector<std::string> names = List(dir_);
  // prog.ERROR, prog.INFO, prog.WARNING links and one file per level.
  ASSERT_EQ(names.size(), 6u) << ::testing::PrintToString(names);
  EXPECT_EQ(names[0], "prog.ERROR");
  EXPECT_EQ(names[1], "prog.INFO");
  EXPECT_EQ(names[2], "prog.WARNING");
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string prefix = std::string("prog.") + host + ".";
  for (size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(names[i].rfind(prefix, 0), 0u) << names[i];
    EXPECT_NE(names[i].find(".log."), std::string::npos) << names[i];
    EXPECT_TRUE(names[i].ends_with("." + std::to_string(getpid()))) << names[i];
  }
  std::string info = Read(dir_ + "/prog.INFO");
  std::string warning = Read(dir_ + "/prog.WARNING");
  std::string error = Read(dir_ + "/prog.ERROR");
  EXPECT_EQ(info.rfind("Log file created at: ", 0), 0u) << info;
  EXPECT_NE(info.find("Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n"),
            std::string::npos);
  // A file holds its level and the levels above.
  EXPECT_NE(info.find("] an info line\n"), std::string::npos);
  EXPECT_NE(info.find("] an error line\n"), std::string::npos);
  EXPECT_EQ(warning.find("an info line"), std::string::npos);
  EXPECT_NE(warning.find("] a warning line\n"), std::string::npos);
  EXPECT_NE(warning.find("] an error line\n"), std::string::npos);
  EXPECT_EQ(error.find("a warning line"), std::string::npos);
  // glog's line prefix: level letter, mmdd, time, thread, file:line.
  size_t at = info.find("\nI");
  ASSERT_NE(at, std::string::npos);
  std::string line = info.substr(at + 1, info.find('\n', at + 1) - at - 1);
  EXPECT_NE(line.find(" logging_test.cc:"), std::string::npos) << line;
  EXPECT_EQ(line[5], ' ') << line;
  EXPECT_EQ(line[8], ':') << line;
}

TEST_F(LoggingTest, BufferedLinesWaitForFlush) {
  absl::SetFlag(&FLAGS_log_dir, dir_);
  absl::SetFlag(&FLAGS_logbuflevel, 0);  // INFO buffered, as glog's default
  InitLogging("prog");
  LOG(INFO) << "buffered line";
  EXPECT_EQ(Read(dir_ + "/prog.INFO").find("buffered line"), std::string::npos);
  LOG(WARNING) << "unbuffered line";  // writes what waited before it
  std::string info = Read(dir_ + "/prog.INFO");
  size_t a = info.find("buffered line"), b = info.find("unbuffered line");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_LT(a, b);
  LOG(INFO) << "another buffered line";
  FlushLogs();
  EXPECT_NE(Read(dir_ + "/prog.INFO").find("another buffered line"), std::string::npos);
}

TEST_F(LoggingTest, MinLogLevelDropsLowerLevels) {
  absl::SetFlag(&FLAGS_minloglevel, 1);
  LogToDir();
  LOG(INFO) << "dropped";
  LOG(WARNING) << "kept";
  EXPECT_EQ(Read(dir_ + "/prog.INFO").find("dropped"), std::string::npos);
  EXPECT_NE(Read(dir_ + "/prog.INFO").find("kept"), std::string::npos);
}

TEST_F(LoggingTest, FullFileIsReplaced) {
  absl::SetFlag(&FLAGS_max_log_size, 1);
  LogToDir();
  std::string chunk(1000, 'x');
  for (int i = 0; i < 1100; ++i) LOG(INFO) << chunk;
  LOG(INFO) << "after the rotation";
  std::vector<std::string> names = List(dir_);
  ASSERT_EQ(names.size(), 3u) << ::testing::PrintToString(names);  // link + two files
  struct stat full, newest;
  ASSERT_EQ(stat((dir_ + "/" + names[1]).c_str(), &full), 0);
  EXPECT_GE(full.st_size, 1 << 20);
  EXPECT_LT(full.st_size, (1 << 20) + 2000);
  ASSERT_EQ(stat((dir_ + "/prog.INFO").c_str(), &newest), 0);  // the link names the newest
  EXPECT_LT(newest.st_size, 200'000);
  EXPECT_NE(Read(dir_ + "/prog.INFO").find("after the rotation"), std::string::npos);
}

TEST_F(LoggingTest, VModulePatterns) {
  absl::SetFlag(&FLAGS_v, 1);
  absl::SetFlag(&FLAGS_vmodule, "connection=3,migr*=2,*_family=0, bad");
  InitLogging("prog");
  EXPECT_TRUE(VLogEnabled(1, "src/x/anything.cc"));
  EXPECT_FALSE(VLogEnabled(2, "src/x/anything.cc"));
  EXPECT_TRUE(VLogEnabled(3, "src/facade/connection.cc"));
  EXPECT_FALSE(VLogEnabled(4, "src/facade/connection.cc"));
  EXPECT_TRUE(VLogEnabled(2, "src/cluster/migration_target.cc"));
  EXPECT_FALSE(VLogEnabled(3, "src/cluster/migration_target.cc"));
  // The first matching pattern decides, even below --v.
  EXPECT_FALSE(VLogEnabled(1, "src/server/families/string_family.cc"));
  EXPECT_TRUE(VLogEnabled(0, "src/server/families/string_family.cc"));
  int evaluated = 0;
  VLOG(5) << "never built: " << ++evaluated;
  VLOG(1) << "built: " << ++evaluated;
  EXPECT_EQ(evaluated, 1);
}

}  // namespace
}  // namespace darner
