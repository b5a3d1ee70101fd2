# The infrawise suite's C++: the "dcw" scorer (DCW answer -> names -> benchmark retrieval) and the
# "json_object" extractor.
target_sources(aimicius_tasks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/benchmark_db.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcw_answer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcw_names.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dcw_scorer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/extract_json.cpp)
