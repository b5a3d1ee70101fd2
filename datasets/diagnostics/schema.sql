-- Telemetry database of the diagnostics suite (SQLite). Timestamps are ISO-8601 UTC text
-- 'YYYY-MM-DDTHH:MM:SSZ' and cover 2026-03-02T00:00:00Z to 2026-03-05T00:00:00Z.

-- One row per Slurm cluster.
CREATE TABLE clusters (
  cluster TEXT PRIMARY KEY,  -- cluster name, e.g. 'h100-east'
  region TEXT NOT NULL,      -- Azure region, e.g. 'eastus'
  scheduler TEXT NOT NULL,   -- workload manager ('slurm')
  sku_family TEXT NOT NULL   -- VM family of its nodes: 'ND H100 v5', 'ND MI300X v5' or 'NDv4'
);

-- One row per GPU node (VM).
CREATE TABLE nodes (
  hostname TEXT PRIMARY KEY,    -- e.g. 'gpu-h100-003'
  cluster TEXT NOT NULL,        -- clusters.cluster
  rack TEXT NOT NULL,           -- rack label, e.g. 'R02'
  vm_size TEXT NOT NULL,        -- Azure VM size, e.g. 'Standard_ND96isr_H100_v5'
  gpu_vendor TEXT NOT NULL,     -- 'NVIDIA' or 'AMD'
  gpu_count INTEGER NOT NULL,   -- GPUs in the node (8)
  cpu_cores INTEGER NOT NULL,   -- vCPUs
  memory_gib INTEGER NOT NULL,  -- host memory in GiB
  state TEXT NOT NULL           -- Slurm state at the end of the period: 'idle', 'allocated', 'drained' or 'down'
);

-- One row per GPU.
CREATE TABLE gpus (
  gpu_uuid TEXT PRIMARY KEY,          -- e.g. 'GPU-3f2a...'
  hostname TEXT NOT NULL,             -- nodes.hostname
  gpu_index INTEGER NOT NULL,         -- 0..7 within the node
  model TEXT NOT NULL,                -- 'NVIDIA H100 80GB HBM3', 'AMD Instinct MI300X' or 'NVIDIA A100-SXM4-40GB'
  memory_total_mib INTEGER NOT NULL,  -- device memory in MiB
  power_limit_w INTEGER NOT NULL,     -- board power limit in watts
  pci_bus_id TEXT NOT NULL            -- e.g. '0000:1B:00.0'
);

-- One sample per GPU per hour, on the hour (no rows while a node is down).
CREATE TABLE gpu_metrics (
  ts TEXT NOT NULL,                  -- sample time, ISO-8601 UTC
  hostname TEXT NOT NULL,            -- nodes.hostname
  gpu_index INTEGER NOT NULL,        -- gpus.gpu_index
  utilization_pct INTEGER NOT NULL,  -- GPU utilization, 0..100
  memory_used_mib INTEGER NOT NULL,  -- device memory in use, MiB
  temperature_c INTEGER NOT NULL,    -- GPU temperature, degrees Celsius
  power_w REAL NOT NULL,             -- board power draw, watts
  sm_clock_mhz INTEGER NOT NULL      -- SM (shader) clock, MHz
);

-- One row per Slurm job.
CREATE TABLE jobs (
  job_id INTEGER PRIMARY KEY,  -- Slurm job id
  job_name TEXT NOT NULL,      -- e.g. 'llama3-70b-pretrain'
  user_name TEXT NOT NULL,     -- submitting user
  team TEXT NOT NULL,          -- 'llm-training', 'inference', 'research' or 'infra'
  cluster TEXT NOT NULL,       -- clusters.cluster
  num_nodes INTEGER NOT NULL,  -- nodes allocated
  num_gpus INTEGER NOT NULL,   -- GPUs allocated
  submit_time TEXT NOT NULL,   -- ISO-8601 UTC
  start_time TEXT NOT NULL,    -- ISO-8601 UTC
  end_time TEXT,               -- ISO-8601 UTC; NULL while RUNNING
  state TEXT NOT NULL,         -- 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL' or 'RUNNING'
  exit_code INTEGER            -- process exit code (0 success, 143 SIGTERM); NULL while RUNNING
);

-- Which nodes each job ran on.
CREATE TABLE job_nodes (
  job_id INTEGER NOT NULL,  -- jobs.job_id
  hostname TEXT NOT NULL    -- nodes.hostname
);

-- Selected lines from job output.
CREATE TABLE job_logs (
  log_id INTEGER PRIMARY KEY,  -- line id, increasing with time
  job_id INTEGER NOT NULL,     -- jobs.job_id
  ts TEXT NOT NULL,            -- ISO-8601 UTC
  hostname TEXT NOT NULL,      -- node that wrote the line
  level TEXT NOT NULL,         -- 'INFO', 'WARNING' or 'ERROR'
  message TEXT NOT NULL        -- the log line
);

-- Node lifecycle events from Slurm, the health checker and operators.
CREATE TABLE node_events (
  event_id INTEGER PRIMARY KEY,  -- event id, increasing with time
  ts TEXT NOT NULL,              -- ISO-8601 UTC
  hostname TEXT NOT NULL,        -- nodes.hostname
  event_type TEXT NOT NULL,      -- 'drain', 'resume', 'reboot', 'down', 'maintenance_start', 'maintenance_end' or 'health_check_failed'
  reason TEXT NOT NULL,          -- free text, e.g. 'Xid 79'
  source TEXT NOT NULL           -- 'slurm', 'health-monitor' or 'operator'
);

-- NVIDIA Xid codes that occur in xid_errors, with their meaning.
CREATE TABLE xid_codes (
  xid INTEGER PRIMARY KEY,    -- Xid number
  description TEXT NOT NULL,  -- meaning, e.g. 'GPU has fallen off the bus'
  category TEXT NOT NULL,     -- 'application', 'memory', 'interconnect', 'hardware' or 'driver'
  fatal INTEGER NOT NULL      -- 1 when the GPU needs a reset or the node a reboot, else 0
);

-- Xid errors reported by the NVIDIA driver (NVIDIA nodes only).
CREATE TABLE xid_errors (
  error_id INTEGER PRIMARY KEY,  -- error id, increasing with time
  ts TEXT NOT NULL,              -- ISO-8601 UTC
  hostname TEXT NOT NULL,        -- nodes.hostname
  gpu_index INTEGER NOT NULL,    -- gpus.gpu_index
  xid INTEGER NOT NULL,          -- xid_codes.xid
  pid INTEGER,                   -- process id involved; NULL when none
  message TEXT NOT NULL          -- driver message text
);

-- ECC counters, read daily at 06:00 UTC; only non-zero counters are stored.
CREATE TABLE ecc_errors (
  ts TEXT NOT NULL,            -- reading time, ISO-8601 UTC
  hostname TEXT NOT NULL,      -- nodes.hostname
  gpu_index INTEGER NOT NULL,  -- gpus.gpu_index
  counter TEXT NOT NULL,       -- 'volatile' (since last driver load / reboot) or 'aggregate' (lifetime)
  error_type TEXT NOT NULL,    -- 'single_bit' (corrected) or 'double_bit' (uncorrected)
  location TEXT NOT NULL,      -- 'device_memory', 'l2_cache', 'sram' or 'register_file'
  count INTEGER NOT NULL       -- errors counted, > 0
);

-- Collective-communication problems (NCCL on NVIDIA, RCCL on AMD) seen by the job's watchdog.
CREATE TABLE nccl_events (
  event_id INTEGER PRIMARY KEY,    -- event id, increasing with time
  ts TEXT NOT NULL,                -- ISO-8601 UTC
  job_id INTEGER NOT NULL,         -- jobs.job_id
  hostname TEXT NOT NULL,          -- node of the reporting rank
  rank INTEGER NOT NULL,           -- global rank that reported
  library TEXT NOT NULL,           -- 'NCCL' or 'RCCL'
  event_type TEXT NOT NULL,        -- 'timeout' (watchdog fired), 'slow_collective' or 'comm_abort'
  collective TEXT NOT NULL,        -- 'AllReduce', 'AllGather', 'ReduceScatter', 'Broadcast' or 'SendRecv'
  comm_size INTEGER NOT NULL,      -- ranks in the communicator
  message_bytes INTEGER NOT NULL,  -- bytes per rank in the operation
  seq_num INTEGER NOT NULL,        -- collective sequence number in the communicator
  timeout_ms INTEGER NOT NULL,     -- watchdog timeout configured, ms
  duration_ms INTEGER NOT NULL     -- how long the operation had been running, ms
);

-- InfiniBand port error counters, read daily at 06:00 UTC; ports with any non-zero counter.
CREATE TABLE ib_link_errors (
  ts TEXT NOT NULL,                -- reading time, ISO-8601 UTC
  hostname TEXT NOT NULL,          -- nodes.hostname
  device TEXT NOT NULL,            -- HCA, 'mlx5_0'..'mlx5_7'
  symbol_errors INTEGER NOT NULL,  -- SymbolErrorCounter
  link_downed INTEGER NOT NULL,    -- LinkDownedCounter
  rcv_errors INTEGER NOT NULL      -- PortRcvErrors
);
