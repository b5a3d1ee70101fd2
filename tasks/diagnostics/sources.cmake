# The diagnostics suite's C++: the "sql" scorer (execution, syntax, token Jaccard, table and
# column scores) and the "sql" answer extractor.
target_sources(aimicius_tasks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/extract_sql.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sql_reads.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sql_scorer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sql_tokens.cpp)
