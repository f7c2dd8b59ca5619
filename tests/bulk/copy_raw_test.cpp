// Raw COPY: complete COPY statements in any format, bytes passed through untouched, from and to streams
// and files.
#include "bulk/copy_test_support.hpp"

#include <pgkit/copy.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::InterfaceError;
using pgkit::copy_test::count_rows;
using pgkit::copy_test::expect_usable;
using pgkit::copy_test::message_of;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Text = std::optional<std::string>;
using Person = std::tuple<int, std::string, Text>;

// A folder of its own under the system's temporary directory, removed with this object.
class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / pgkit::testing::unique_name("pgkit_copy_raw")) {
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An input stream that gives `data` and then fails, as a disk or a network read can.
class FailingInput : public std::streambuf {
 public:
  explicit FailingInput(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::ios_base::failure("device error"); }

 private:
  std::string data_;
};

// An output stream that takes `capacity` bytes and then refuses more (a full disk).
class FullOutput : public std::streambuf {
 public:
  explicit FullOutput(std::size_t capacity) : capacity_(capacity) {}
  std::size_t written = 0;

 protected:
  int_type overflow(int_type c) override {
    if (written >= capacity_) return traits_type::eof();
    ++written;
    return c;
  }

 private:
  std::size_t capacity_;
};

class CopyRaw : public pgkit::testing::DatabaseTest {
 protected:
  void create_people(const std::string& table) {
    conn.exec(fmt::format("CREATE TABLE {} (id int PRIMARY KEY, name text NOT NULL, note text)", table));
  }
  std::vector<Person> people(const std::string& table) {
    return conn.query<int, std::string, Text>(fmt::format("SELECT id, name, note FROM {} ORDER BY id", table));
  }

  pgkit::Connection conn = connect();
};

TEST_F(CopyRaw, TextFormatInAndOutThroughStreams) {
  create_people("text_people");
  // PostgreSQL's text format: tab-separated, \N for NULL, backslash escapes.
  const std::string input =
      "1\tAda\t\\N\n"
      "2\tBjörk Guðmundsdóttir\ttab\\there\n"
      "3\t\\\\back\\\\slash\t\n"
      "4\t日本\tline\\nbreak\n";
  std::istringstream in(input);
  EXPECT_EQ(pgkit::copy_in_raw(conn, "COPY text_people (id, name, note) FROM STDIN", in), 4);
  EXPECT_THAT(people("text_people"),
              ElementsAre(Person{1, "Ada", std::nullopt}, Person{2, "Björk Guðmundsdóttir", "tab\there"},
                          Person{3, "\\back\\slash", ""}, Person{4, "日本", "line\nbreak"}));

  std::ostringstream out;
  EXPECT_EQ(pgkit::copy_out_raw(conn, "COPY (SELECT id, name, note FROM text_people ORDER BY id) TO STDOUT", out), 4);
  EXPECT_EQ(out.str(), input);
}

TEST_F(CopyRaw, CsvWithHeaderInAndOut) {
  create_people("csv_people");
  const std::string input =
      "id,name,note\n"
      "1,\"Smith, John\",\"line one\nline two\"\n"
      "2,Zoë,\n"
      "3,\"He said \"\"hi\"\"\",plain\n"
      "4,\"\",\"\"\n";
  std::istringstream in(input);
  EXPECT_EQ(pgkit::copy_in_raw(conn, "COPY csv_people FROM STDIN (FORMAT csv, HEADER)", in), 4);
  // Unquoted empty is NULL in CSV, quoted empty is an empty string.
  EXPECT_THAT(people("csv_people"),
              ElementsAre(Person{1, "Smith, John", "line one\nline two"}, Person{2, "Zoë", std::nullopt},
                          Person{3, "He said \"hi\"", "plain"}, Person{4, "", ""}));

  std::ostringstream out;
  EXPECT_EQ(
      pgkit::copy_out_raw(conn, "COPY (SELECT * FROM csv_people ORDER BY id) TO STDOUT (FORMAT csv, HEADER)", out), 4);
  EXPECT_EQ(out.str(),
            "id,name,note\n"
            "1,\"Smith, John\",\"line one\nline two\"\n"
            "2,Zoë,\n"
            "3,\"He said \"\"hi\"\"\",plain\n"
            "4,\"\",\"\"\n");
}

TEST_F(CopyRaw, InputIsPassedThroughWhateverTheChunkBoundaries) {
  create_people("chunked");
  std::string input;
  for (int i = 0; i < 5000; ++i) input += fmt::format("{}\tnåme {} ✓\t{}\n", i, i, i % 3 == 0 ? "\\N" : "ñote");
  for (const std::size_t buffer : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    conn.exec("TRUNCATE chunked");
    std::istringstream in(input);
    pgkit::CopyOptions options;
    options.buffer_bytes = buffer;  // splits lines, and UTF-8 characters, anywhere
    EXPECT_EQ(pgkit::copy_in_raw(conn, "COPY chunked FROM STDIN", in, options), 5000) << buffer;
    std::ostringstream out;
    pgkit::copy_out_raw(conn, "COPY (SELECT * FROM chunked ORDER BY id) TO STDOUT", out);
    EXPECT_EQ(out.str(), input) << buffer;
  }
}

TEST_F(CopyRaw, FilesInAndOutInEveryFormat) {
  create_people("file_people");
  conn.exec("INSERT INTO file_people VALUES (1, 'Ada', NULL), (2, 'Grace \"Amazing\" Hopper', 'COBOL, compilers')");
  create_people("file_copy");
  const TempDir dir;
  for (const std::string format : {"text", "csv", "binary"}) {
    const auto path = dir / ("people." + format);
    EXPECT_EQ(pgkit::copy_out_file(conn, fmt::format("COPY file_people TO STDOUT (FORMAT {})", format), path), 2);
    ASSERT_TRUE(std::filesystem::exists(path));
    conn.exec("TRUNCATE file_copy");
    EXPECT_EQ(pgkit::copy_in_file(conn, fmt::format("COPY file_copy FROM STDIN (FORMAT {})", format), path), 2);
    EXPECT_EQ(people("file_copy"), people("file_people")) << format;
  }
  EXPECT_EQ(read_file(dir / "people.csv").substr(0, 6), "1,Ada,");
  EXPECT_EQ(read_file(dir / "people.binary").substr(0, 11), std::string("PGCOPY\n\377\r\n\0", 11));
  // An existing file is replaced, not appended to.
  pgkit::copy_out_file(conn, "COPY (SELECT 1) TO STDOUT", dir / "people.text");
  EXPECT_EQ(read_file(dir / "people.text"), "1\n");
}

TEST_F(CopyRaw, MalformedCsvLineNamesTheLineAndChangesNothing) {
  create_people("csv_bad");
  conn.exec("INSERT INTO csv_bad VALUES (100, 'before', NULL)");
  struct Case {
    std::string input;
    std::string sqlstate;
    std::string line;
  };
  const std::vector<Case> cases = {
      // Line 1 is the header.
      {"id,name,note\n1,a,\n2,b,\nthree,c,\n4,d,\n", "22P02", "line 4"},     // not an integer
      {"id,name,note\n1,a,\n2,b,\n3,c,\n4,d,x,extra\n", "22P04", "line 5"},  // extra column
      {"id,name,note\n1,a,\n2,b\n", "22P04", "line 3"},                      // missing column
      {"id,name,note\n1,a,\n2,\"unterminated,\n", "22P04", "line 4"},        // open quote to the end
      {"id,name,note\n1,a,\n1,again,\n", "23505", "line 3"},                 // duplicate key
      {"id,name,note\n1,a,\n2,,\n", "23502", "line 3"},                      // NULL name
  };
  for (const auto& c : cases) {
    std::istringstream in(c.input);
    try {
      pgkit::copy_in_raw(conn, "COPY csv_bad FROM STDIN (FORMAT csv, HEADER)", in);
      ADD_FAILURE() << "accepted: " << c.input;
    } catch (const pgkit::DatabaseError& e) {
      EXPECT_EQ(e.sqlstate(), c.sqlstate) << e.what();
      EXPECT_THAT(e.diagnostics().context, HasSubstr(c.line)) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(c.line));  // the message itself says where
      if (c.sqlstate.starts_with("22")) {
        EXPECT_NE(dynamic_cast<const pgkit::DataError*>(&e), nullptr) << e.what();
      }
    }
    EXPECT_THAT(people("csv_bad"), ElementsAre(Person{100, "before", std::nullopt})) << c.input;
    expect_usable(conn);
  }
}

TEST_F(CopyRaw, MissingFilesAreClearErrors) {
  create_people("no_file");
  const TempDir dir;
  const auto missing = dir / "does-not-exist.csv";
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in_file(conn, "COPY no_file FROM STDIN", missing); }),
              AllOf(HasSubstr("does-not-exist.csv"), HasSubstr("reading")));
  const auto unwritable = dir / "no-such-folder" / "out.csv";
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_out_file(conn, "COPY no_file TO STDOUT", unwritable); }),
              AllOf(HasSubstr("no-such-folder"), HasSubstr("writing")));
  EXPECT_EQ(count_rows(conn, "no_file"), 0);
  expect_usable(conn);
}

TEST_F(CopyRaw, StatementsThatAreNotTheRightCopyAreRefused) {
  create_people("wrong_way");
  conn.exec("INSERT INTO wrong_way VALUES (1, 'kept', NULL)");
  std::istringstream in("2\tnew\t\\N\n");
  std::ostringstream out;
  EXPECT_THROW(pgkit::copy_in_raw(conn, "SELECT 1", in), InterfaceError);
  expect_usable(conn);
  EXPECT_THROW(pgkit::copy_in_raw(conn, "COPY wrong_way TO STDOUT", in), InterfaceError);
  expect_usable(conn);
  EXPECT_THROW(pgkit::copy_out_raw(conn, "COPY wrong_way FROM STDIN", out), InterfaceError);
  expect_usable(conn);
  EXPECT_THROW(pgkit::copy_out_raw(conn, "SELECT 1", out), InterfaceError);
  expect_usable(conn);
  EXPECT_THROW(pgkit::copy_in_raw(conn, "COPY nowhere FROM STDIN", in), pgkit::UndefinedTable);
  expect_usable(conn);
  EXPECT_THAT(people("wrong_way"), ElementsAre(Person{1, "kept", std::nullopt}));
  EXPECT_TRUE(out.str().empty());
}

TEST_F(CopyRaw, FailingStreamsAbortTheCopy) {
  create_people("streams");
  conn.exec("INSERT INTO streams VALUES (1, 'kept', NULL)");
  // The input breaks after some good lines: nothing of it goes in.
  std::string good;
  for (int i = 10; i < 1000; ++i) good += fmt::format("{}\tname\t\\N\n", i);
  FailingInput failing(good);
  std::istream in(&failing);
  pgkit::CopyOptions options;
  options.buffer_bytes = 512;
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in_raw(conn, "COPY streams FROM STDIN", in, options); }),
              HasSubstr("reading"));
  EXPECT_EQ(count_rows(conn, "streams"), 1);
  expect_usable(conn);

  // The output fills up part-way through a large COPY out.
  FullOutput full(1000);
  std::ostream out(&full);
  EXPECT_THAT(message_of<InterfaceError>([&] {
                pgkit::copy_out_raw(conn, "COPY (SELECT g FROM generate_series(1, 1000000) g) TO STDOUT", out);
              }),
              HasSubstr("writing"));
  expect_usable(conn);
}

}  // namespace
