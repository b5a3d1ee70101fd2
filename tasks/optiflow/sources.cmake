# optiflow: the topology_plan scorer, the dataset generator library (example_generator,
# topology_text) and the generator tool aimicius-optiflow-gen (writes datasets/optiflow/*.jsonl).
target_sources(aimicius_tasks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/topology_plan_scorer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/example_generator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/topology_text.cpp)
add_executable(aimicius-optiflow-gen ${CMAKE_CURRENT_LIST_DIR}/generate_main.cpp)
target_link_libraries(aimicius-optiflow-gen PRIVATE aimicius_tasks)
