target_sources(aimicius_tasks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/command_scorer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/extract_command.cpp)
