-- A hand-made benchmark database for the dcw scorer's unit tests: three systems, two workloads,
-- two criteria, eight results whose ids the tests count by hand.
CREATE TABLE systems (name TEXT PRIMARY KEY);
CREATE TABLE workloads (name TEXT PRIMARY KEY);
CREATE TABLE criteria (name TEXT PRIMARY KEY);
CREATE TABLE results (id INTEGER PRIMARY KEY, system TEXT, workload TEXT, criterion TEXT, value REAL,
                      unit TEXT, params TEXT, source TEXT);
INSERT INTO systems VALUES ('Alpha X1'), ('Beta Y2'), ('Gamma Z3'), ('O''Brien 9');
INSERT INTO workloads VALUES ('ping'), ('sort');
INSERT INTO criteria VALUES ('speed'), ('delay');
INSERT INTO results VALUES
  (1, 'Alpha X1', 'ping', 'speed', 10, 'op/s', 'size 1', 'synthetic: test'),
  (2, 'Alpha X1', 'ping', 'speed', 12, 'op/s', 'size 2', 'synthetic: test'),
  (3, 'Beta Y2', 'ping', 'speed', 7, 'op/s', 'size 1', 'synthetic: test'),
  (4, 'Gamma Z3', 'ping', 'speed', 5, 'op/s', 'size 1', 'synthetic: test'),
  (5, 'Alpha X1', 'ping', 'delay', 3, 'us', 'size 1', 'synthetic: test'),
  (6, 'Beta Y2', 'sort', 'speed', 9, 'op/s', 'size 1', 'synthetic: test'),
  (7, 'Alpha X1', 'sort', 'speed', 11, 'op/s', 'size 1', 'synthetic: test'),
  (8, 'Beta Y2', 'ping', 'delay', 4, 'us', 'size 1', 'synthetic: test'),
  (9, 'O''Brien 9', 'ping', 'speed', 1, 'op/s', 'size 1', 'synthetic: test');
