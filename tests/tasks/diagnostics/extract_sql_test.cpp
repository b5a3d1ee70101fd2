// Tests of the "sql" answer extractor on model outputs shaped like real ones: fenced blocks with
// and without info strings, prose around the query, several statements, semicolons inside
// strings and comments, inline code, lower-case SQL and outputs with no query at all.
#include "tasks/extractors/extract_sql.h"

#include <gtest/gtest.h>

namespace aimicius {
namespace {

TEST(ExtractSql, PlainQueryIsKeptTrimmed) {
  EXPECT_EQ(extract_sql("  SELECT COUNT(*) FROM jobs  \n"), "SELECT COUNT(*) FROM jobs");
}

TEST(ExtractSql, SqlFencedBlockWithProseAround) {
  const char* output =
      "Here is the query you need:\n\n```sql\nSELECT hostname, gpu_index\nFROM gpu_metrics\n"
      "WHERE temperature_c >= 85;\n```\n\nThis returns every hot GPU.";
  EXPECT_EQ(extract_sql(output), "SELECT hostname, gpu_index\nFROM gpu_metrics\nWHERE temperature_c >= 85");
}

TEST(ExtractSql, SqlBlockIsPreferredOverAnEarlierOtherBlock) {
  const char* output =
      "First look at the data:\n```text\nxid | count\n48 | 2\n```\nThen:\n```SQL\nSELECT xid FROM xid_errors\n```";
  EXPECT_EQ(extract_sql(output), "SELECT xid FROM xid_errors");
}

TEST(ExtractSql, AnyFencedBlockWhenNoneIsMarkedSql) {
  EXPECT_EQ(extract_sql("```\nSELECT 1\n```"), "SELECT 1");
  EXPECT_EQ(extract_sql("~~~sqlite\nSELECT 2;\n~~~"), "SELECT 2");
}

TEST(ExtractSql, UnclosedFenceRunsToTheEnd) {
  EXPECT_EQ(extract_sql("```sql\nSELECT job_id FROM jobs\nORDER BY job_id"), "SELECT job_id FROM jobs\nORDER BY job_id");
}

TEST(ExtractSql, OneLineFence) {
  EXPECT_EQ(extract_sql("```SELECT COUNT(*) FROM gpus```"), "SELECT COUNT(*) FROM gpus");
  EXPECT_EQ(extract_sql("```sql SELECT COUNT(*) FROM gpus```"), "SELECT COUNT(*) FROM gpus");
}

TEST(ExtractSql, OnlyTheFirstStatement) {
  EXPECT_EQ(extract_sql("SELECT 1; SELECT 2;"), "SELECT 1");
  EXPECT_EQ(extract_sql("```sql\nSELECT a FROM t;\nDROP TABLE t;\n```"), "SELECT a FROM t");
}

TEST(ExtractSql, SemicolonsInStringsIdentifiersAndCommentsDoNotEndTheStatement) {
  EXPECT_EQ(extract_sql("SELECT message FROM job_logs WHERE message LIKE '%a;b%' AND level = 'it''s;'; x"),
            "SELECT message FROM job_logs WHERE message LIKE '%a;b%' AND level = 'it''s;'");
  EXPECT_EQ(extract_sql("SELECT \"odd;name\" FROM t -- note; here\nWHERE 1; tail"),
            "SELECT \"odd;name\" FROM t -- note; here\nWHERE 1");
  EXPECT_EQ(extract_sql("SELECT /* a;b */ 1; SELECT 2"), "SELECT /* a;b */ 1");
}

TEST(ExtractSql, ProseBeforeAnUnfencedQuery) {
  EXPECT_EQ(extract_sql("Sure! To count failed jobs:\nSELECT COUNT(*) FROM jobs WHERE state = 'FAILED'"),
            "SELECT COUNT(*) FROM jobs WHERE state = 'FAILED'");
  EXPECT_EQ(extract_sql("Query: SELECT hostname FROM nodes"), "SELECT hostname FROM nodes");
}

TEST(ExtractSql, ProseAfterAnUnfencedQueryIsCutAtTheBlankLine) {
  EXPECT_EQ(extract_sql("SELECT hostname\nFROM nodes\n\nThis lists every node."), "SELECT hostname\nFROM nodes");
}

TEST(ExtractSql, ProseMentioningSelectOrWithIsNotTheQuery) {
  // "select" in prose is lower case mid-line; "with" in prose does not open a CTE.
  EXPECT_EQ(extract_sql("We select the rows with the highest temperature:\nSELECT MAX(temperature_c) FROM gpu_metrics"),
            "SELECT MAX(temperature_c) FROM gpu_metrics");
}

TEST(ExtractSql, WithQueries) {
  EXPECT_EQ(extract_sql("WITH f AS (SELECT * FROM jobs WHERE state = 'FAILED') SELECT COUNT(*) FROM f;"),
            "WITH f AS (SELECT * FROM jobs WHERE state = 'FAILED') SELECT COUNT(*) FROM f");
  EXPECT_EQ(extract_sql("Using a CTE: with recursive h(n) as (select 1) select n from h"),
            "with recursive h(n) as (select 1) select n from h");
}

TEST(ExtractSql, LowerCaseQueryAtALineStart) {
  EXPECT_EQ(extract_sql("The answer:\n  select count(*) from gpus;"), "select count(*) from gpus");
}

TEST(ExtractSql, InlineBackticks) {
  EXPECT_EQ(extract_sql("Run `SELECT COUNT(*) FROM jobs` to get it."), "SELECT COUNT(*) FROM jobs");
}

// The prompt ends with "SQL:", so chat models often repeat the label before the query.
TEST(ExtractSql, ALeadingSqlOrQueryLabelIsNotTheQuery) {
  EXPECT_EQ(extract_sql("SQL: select name from gpus where temp > 80;"), "select name from gpus where temp > 80");
  EXPECT_EQ(extract_sql("Here it is.\nQuery:   with t as (select 1) select * from t\n\nThis uses a CTE."),
            "with t as (select 1) select * from t");
}

TEST(ExtractSql, ChatAnswerWithProseAndSeveralBlocks) {
  // The sql-tagged block wins over an earlier output sample, wherever it is.
  EXPECT_EQ(extract_sql("The result will look like:\n```\nname|temp\n```\nUse this query:\n```sql\n"
                        "SELECT name, temp FROM gpus ORDER BY temp DESC;\n```\nIt sorts by temperature."),
            "SELECT name, temp FROM gpus ORDER BY temp DESC");
}

TEST(ExtractSql, NoQueryGivesEmpty) {
  EXPECT_EQ(extract_sql(""), "");
  EXPECT_EQ(extract_sql("I cannot answer this question with the given schema."), "");
  EXPECT_EQ(extract_sql("```sql\n```"), "");
}

}  // namespace
}  // namespace aimicius
