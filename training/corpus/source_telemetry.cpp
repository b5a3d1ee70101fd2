// Telemetry descriptions: what the suites' databases hold, as an engineer would document them.
//   diagnostics  schema.sql as it is (CREATE TABLE statements with a comment on every column),
//                then one prose document per table: its comment, and each column with its type
//                and comment. Only the schema: no telemetry rows (they are what questions ask).
//   infrawise    the CREATE TABLE statements of benchmarks.sql; the systems, workloads and
//                criteria tables in prose (read with SQLite from the pinned script); the
//                catalogue. No result values.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sql_lexer.h"
#include "common/sqlite_db.h"
#include "tasks/suite_spec.h"
#include "training/corpus/sources.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

std::string read_pinned(const fs::path& data_dir, const std::string& suite, const std::string& path, CorpusBuild& build) {
  const fs::path dir = data_dir / suite;
  const Manifest manifest = read_manifest(dir);
  verify_resources(dir, manifest);
  bool pinned = false;
  for (const auto& f : manifest.files) pinned = pinned || (f.path == path && f.split == kResourceSplit);
  if (!pinned) throw InputError(fmt::format("{}: {} is not a resource file of the suite", (dir / "suite.json").string(), path));
  std::ifstream in(dir / path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  build.read.push_back({suite, suite + "/" + path, kResourceSplit});
  return text.str();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t,") - b + 1);
}

// Where the "-- comment" of a column line starts: the first line comment outside quotes (a
// DEFAULT '--' is not one), npos when the line has none.
std::size_t line_comment_start(std::string_view line) {
  for (const SqlSpan& span : sql_spans(line))
    if (span.kind == SqlSpanKind::kLineComment) return span.begin;
  return std::string::npos;
}

// schema.sql, one table at a time: "-- comment" lines before CREATE TABLE, then "  column TYPE ...,
// -- comment" lines up to ");".
void describe_schema(const std::string& schema, CorpusBuild& build) {
  std::istringstream lines(schema);
  std::string line, table_comment, table, doc;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.rfind("-- ", 0) == 0 && table.empty()) {
      table_comment += (table_comment.empty() ? "" : " ") + line.substr(3);
    } else if (line.rfind("CREATE TABLE ", 0) == 0) {
      table = trim(line.substr(13, line.find('(') - 13));
      doc = fmt::format("Table {} of the GPU-cluster telemetry database: {}\nColumns:\n", table, table_comment);
    } else if (!table.empty() && line.rfind(")", 0) == 0) {
      build.documents.push_back({"telemetry/diagnostics", "table:" + table, doc});
      table.clear();
      table_comment.clear();
    } else if (!table.empty()) {
      const auto hash = line_comment_start(line);
      const std::string def = trim(line.substr(0, hash));
      const std::string comment = hash == std::string::npos ? "" : trim(line.substr(hash + 2));
      const auto space = def.find(' ');
      if (def.empty() || space == std::string::npos) continue;
      doc += fmt::format("- {} ({}){}\n", def.substr(0, space), trim(def.substr(space + 1)),
                         comment.empty() ? "" : ": " + comment);
    } else if (line.empty()) {
      table_comment.clear();
    }
  }
}

}  // namespace

void add_telemetry_documents(const fs::path& data_dir, CorpusBuild& build) {
  if (fs::exists(data_dir / "diagnostics" / "suite.json")) {
    const std::string schema = read_pinned(data_dir, "diagnostics", "schema.sql", build);
    build.documents.push_back({"telemetry/diagnostics", "schema.sql", schema});
    describe_schema(schema, build);
  }
  if (fs::exists(data_dir / "infrawise" / "suite.json")) {
    const std::string script = read_pinned(data_dir, "infrawise", "benchmarks.sql", build);
    const auto first_insert = script.find("\nINSERT");
    build.documents.push_back({"telemetry/infrawise", "benchmarks.sql:schema", script.substr(0, first_insert)});
    SqliteDb db(":memory:", SqliteDb::Mode::kReadWriteCreate);
    db.exec(script);
    std::string systems = "Systems of the infrastructure benchmark database:\n";
    Statement s(db, "SELECT name, vendor, deployment, COALESCE(vm_size, ''), gpu_model, gpu_count, gpu_memory_gb, "
                    "gpu_interconnect, nics FROM systems ORDER BY name");
    while (s.step())
      systems += fmt::format("- {} ({}, {}{}): {} x {} with {} GB each, {}, {}.\n", s.column_text(0), s.column_text(1),
                             s.column_text(2), s.column_text(3).empty() ? "" : ", VM size " + s.column_text(3),
                             s.column_int(5), s.column_text(4), s.column_int(6), s.column_text(7), s.column_text(8));
    build.documents.push_back({"telemetry/infrawise", "systems", systems});
    std::string workloads = "Workloads of the infrastructure benchmark database:\n";
    Statement w(db, "SELECT name, family, description FROM workloads ORDER BY name");
    while (w.step())
      workloads += fmt::format("- {} ({} family): {}.\n", w.column_text(0), w.column_text(1), w.column_text(2));
    build.documents.push_back({"telemetry/infrawise", "workloads", workloads});
    std::string criteria = "Criteria of the infrastructure benchmark database:\n";
    Statement c(db, "SELECT name, unit, better, description FROM criteria ORDER BY name");
    while (c.step())
      criteria += fmt::format("- {} in {} ({} is better): {}.\n", c.column_text(0), c.column_text(1), c.column_text(2),
                              c.column_text(3));
    build.documents.push_back({"telemetry/infrawise", "criteria", criteria});
    build.documents.push_back(
        {"telemetry/infrawise", "catalogue.txt", read_pinned(data_dir, "infrawise", "catalogue.txt", build)});
  }
}

}  // namespace aimicius::corpus
