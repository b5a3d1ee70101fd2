#!/usr/bin/env python3
"""Writes the bundled host profiles (dgx-h100.json, mi250x-node.json, pcie-workstation.json).

The JSON files are the source of truth read by aimicius-hostsim; this script only exists so that
the regular, repetitive parts (8 GPUs, 8 HCAs, matrices) stay consistent. Values are invented
but plausible for the hardware named; run it from any directory: it writes next to itself.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
# nccl-tests / rccl-tests binaries (built with MPI=1) and Open MPI's launcher.
COLLECTIVE_TOOLS = ["all_reduce_perf", "all_gather_perf", "broadcast_perf", "reduce_perf", "reduce_scatter_perf",
                    "alltoall_perf", "sendrecv_perf", "scatter_perf", "gather_perf", "hypercube_perf", "mpirun"]
NV_TOOLS = ["nvidia-smi", "nvcc", "dcgmi", "ibstat", "ibstatus", "ibv_devinfo", "ibv_devices", "lspci"] + COLLECTIVE_TOOLS
AMD_TOOLS = ["rocm-smi", "amd-smi", "rocminfo", "rocm_agent_enumerator", "ibstat", "ibstatus", "ibv_devinfo",
             "ibv_devices", "lspci"] + COLLECTIVE_TOOLS


def pci(slot, class_name, class_id, vendor_name, vendor_id, device_name, device_id, **extra):
    d = {"slot": slot, "class_name": class_name, "class_id": class_id, "vendor_name": vendor_name,
         "vendor_id": vendor_id, "device_name": device_name, "device_id": device_id}
    d.update(extra)
    return d


def hca(i, slot, guid_base, rate, link_layer="InfiniBand", lid=None, part="4129", ca_type="MT4129",
        fw="28.39.1002", board="MT_0000000838", netdev=None):
    guid = "0x%016x" % (guid_base + i * 0x10)
    return {"name": "mlx5_%d" % i, "ca_type": ca_type, "firmware_version": fw, "hardware_version": "0",
            "node_guid": guid, "system_image_guid": guid, "vendor_id": "0x02c9", "vendor_part_id": part,
            "board_id": board, "pci_slot": slot,
            "ports": [{"number": 1, "state": "Active", "physical_state": "LinkUp", "rate_gbps": rate,
                       "width": "4X", "speed_name": "NDR" if rate == 400 else "HDR" if rate == 200 else "EDR",
                       "base_lid": lid if lid is not None else 0, "sm_lid": 1 if link_layer == "InfiniBand" else 0,
                       "lmc": 0, "capability_mask": "0xa751e848" if link_layer == "InfiniBand" else "0x00010000",
                       "port_guid": guid, "link_layer": link_layer, "max_mtu": 4096, "active_mtu": 4096,
                       "netdev": netdev or "ibp%ss0" % int(slot.split(":")[1], 16)}],
            "verbose_attributes": [
                {"name": "fw_ver", "value": fw}, {"name": "max_mr_size", "value": "0xffffffffffffffff"},
                {"name": "page_size_cap", "value": "0xfffffffffffff000"}, {"name": "max_qp", "value": "131072"},
                {"name": "max_qp_wr", "value": "32768"}, {"name": "max_cq", "value": "16777216"},
                {"name": "max_mr", "value": "16777216"}, {"name": "max_pd", "value": "8388608"},
                {"name": "atomic_cap", "value": "ATOMIC_HCA (1)"}]}


def dgx_h100():
    buses = ["18", "2a", "3b", "5d", "9a", "ab", "ba", "db"]
    nic_buses = ["19", "29", "3c", "5c", "99", "aa", "bb", "da"]
    gpus, pcis = [], []
    mig = [("MIG 1g.10gb", 19, 7, 9.75, 16, 1, 1, 0, 0, 0), ("MIG 1g.10gb+me", 20, 1, 9.75, 16, 1, 1, 0, 1, 1),
           ("MIG 1g.20gb", 15, 4, 19.62, 26, 1, 1, 0, 1, 0), ("MIG 2g.20gb", 14, 3, 19.62, 32, 2, 2, 0, 2, 0),
           ("MIG 3g.40gb", 9, 2, 39.50, 60, 3, 3, 0, 3, 0), ("MIG 4g.40gb", 5, 1, 39.50, 64, 4, 4, 0, 4, 0),
           ("MIG 7g.80gb", 0, 1, 79.25, 132, 8, 7, 0, 7, 1)]
    # Every GPU in its own state (so that `-i 2` and `-i 3` print different figures): 0-3 run
    # one training job (ranks at slightly different load), 4 a notebook, 5 is idle, 6 an
    # inference server, 7 the DCGM exporter.
    used = [40962, 41218, 40706, 41474, 2314, 0, 23117, 512]
    util = [87, 84, 91, 79, 12, 0, 34, 3]
    mem_util = [41, 39, 44, 36, 3, 0, 18, 0]
    temp = [52, 53, 58, 51, 36, 31, 44, 33]
    mem_temp = [58, 59, 64, 57, 41, 37, 50, 39]
    power = [612.41, 598.73, 641.05, 575.88, 96.12, 69.84, 287.27, 118.36]
    graphics = [1980, 1965, 1950, 1935, 1410, 345, 1755, 1095]
    video = [1545, 1530, 1515, 1500, 1110, 765, 1365, 900]
    dec_util = [0, 0, 0, 0, 0, 0, 12, 0]
    bar1 = [5, 5, 5, 5, 3, 1, 4, 2]
    replays = [0, 0, 0, 3, 0, 0, 1, 0]
    ecc_vol_dram = [0, 0, 2, 0, 0, 1, 0, 0]
    ecc_agg_dram = [3, 0, 14, 1, 0, 6, 2, 0]
    ecc_agg_sram = [0, 1, 0, 0, 2, 0, 0, 0]
    crc = {(3, 5): 2, (6, 11): 1}  # (gpu, link): CRC errors seen on that NVLink
    for i, bus in enumerate(buses):
        numa = 0 if i < 4 else 1
        busy = util[i] > 0
        gpus.append({
            "index": i, "name": "NVIDIA H100 80GB HBM3", "brand": "NVIDIA", "architecture": "Hopper",
            "compute_capability": "9.0",
            "uuid": "GPU-%08x-4b1e-9c2d-7a3f-%012x" % (0x5f3a9c10 + i * 0x1111, 0x8e2b4d6f1a30 + i),
            "serial": "165422300%04d" % (1201 + i), "vbios_version": "96.00.74.00.01",
            "part_number": "692-2G520-0200-000", "board_id": "0x%s00" % bus,
            "pci_bus_id": "0000:%s:00.0" % bus, "pci_device_id": "0x233010DE", "pci_subsystem_id": "0x16C110DE",
            "pcie_gen_current": 5, "pcie_gen_max": 5, "pcie_width_current": 16, "pcie_width_max": 16,
            "memory_total_mib": 81559, "memory_reserved_mib": 328, "memory_used_mib": used[i],
            "bar1_total_mib": 131072, "bar1_used_mib": bar1[i], "pcie_replay_count": replays[i],
            "utilization_gpu": util[i], "utilization_memory": mem_util[i], "utilization_decoder": dec_util[i],
            "temperature_gpu": temp[i], "temperature_memory": mem_temp[i],
            "temperature_shutdown": 92, "temperature_slowdown": 89, "temperature_max_operating": 87,
            "temperature_memory_max": 95,
            "power_draw_w": power[i],
            "power_limit_w": 700.0, "power_default_limit_w": 700.0, "power_min_limit_w": 200.0,
            "power_max_limit_w": 700.0,
            "clocks": {"graphics_mhz": graphics[i], "sm_mhz": graphics[i], "memory_mhz": 2619, "video_mhz": video[i]},
            "max_clocks": {"graphics_mhz": 1980, "sm_mhz": 1980, "memory_mhz": 2619, "video_mhz": 1545},
            "application_clocks": {"graphics_mhz": 1980, "memory_mhz": 2619},
            "persistence_mode": True, "ecc_enabled": True,
            "ecc_volatile": {"sram_correctable": 0, "sram_uncorrectable": 0, "dram_correctable": ecc_vol_dram[i],
                             "dram_uncorrectable": 0},
            "ecc_aggregate": {"sram_correctable": ecc_agg_sram[i], "sram_uncorrectable": 0,
                              "dram_correctable": ecc_agg_dram[i], "dram_uncorrectable": 0},
            "remapped_rows_correctable": 1 if i == 5 else 0, "remapped_rows_uncorrectable": 0,
            "compute_mode": "Default", "mig_mode": "Disabled", "fan_percent": None,
            "pstate": "P0", "numa_node": numa, "cpu_affinity": "0-55,112-167" if numa == 0 else "56-111,168-223",
            "nvlinks": [{"link": l, "active": True, "speed_gbps": 26.562, "replay_errors": 0, "recovery_errors": 0,
                         "crc_errors": crc.get((i, l), 0)} for l in range(18)],
            "mig_profiles": [{"name": n, "id": pid, "instances_total": tot, "memory_gib": mem, "p2p": False,
                              "sm": sm, "ce": ce, "dec": dec, "enc": enc, "jpeg": jpg, "ofa": ofa}
                             for (n, pid, tot, mem, sm, ce, dec, enc, jpg, ofa) in mig],
            "profiling": {"gr_engine_active": util[i] / 100.0, "sm_active": round(util[i] * 0.0091, 3),
                          "sm_occupancy": round(util[i] * 0.0052, 3), "tensor_active": round(util[i] * 0.0061, 3),
                          "dram_active": round(util[i] * 0.0047, 3),
                          "pcie_tx_bytes": 12845056 + 1048576 * i if busy else 0,
                          "pcie_rx_bytes": 25690112 + 2097152 * i if busy else 0,
                          "nvlink_tx_bytes": 48318382080 + 536870912 * i if i < 4 else 0,
                          "nvlink_rx_bytes": 48049946624 + 536870912 * i if i < 4 else 0},
        })
        sw = "%02x" % (int(bus, 16) - 3)
        pcis.append(pci("0000:%s:00.0" % sw, "PCI bridge", "0604", "Broadcom / LSI", "1000",
                        "PEX890xx PCIe Gen 5 Switch", "c030", revision="b0", kernel_driver="pcieport",
                        numa_node=numa, parent="", secondary_bus="[%s-%s]" % ("%02x" % (int(sw, 16) + 1), "%02x" % (int(bus, 16) + 2))))
        pcis.append(pci("0000:%s:00.0" % bus, "3D controller", "0302", "NVIDIA Corporation",
                        "10de", "GH100 [H100 SXM5 80GB]", "2330", revision="a1",
                        subsystem_vendor_name="NVIDIA Corporation", subsystem_name="Device 16c1",
                        subsystem_vendor_id="10de", subsystem_id="16c1", physical_slot=str(i + 1),
                        kernel_driver="nvidia", kernel_modules="nvidiafb, nouveau, nvidia_drm, nvidia",
                        numa_node=numa, iommu_group=40 + i, link_cap_speed="32GT/s", link_status_speed="32GT/s",
                        link_cap_width=16, link_status_width=16, parent="0000:%s:00.0" % sw))
        pcis.append(pci("0000:%s:00.0" % nic_buses[i], "Infiniband controller", "0207", "Mellanox Technologies",
                        "15b3", "MT2910 Family [ConnectX-7]", "1021",
                        subsystem_vendor_name="Mellanox Technologies", subsystem_name="Device 0023",
                        subsystem_vendor_id="15b3", subsystem_id="0023", kernel_driver="mlx5_core",
                        kernel_modules="mlx5_core", numa_node=numa, iommu_group=60 + i, link_cap_speed="32GT/s",
                        link_status_speed="32GT/s", link_cap_width=16, link_status_width=16,
                        parent="0000:%s:00.0" % sw))
    for s, bus in enumerate(["05", "06", "07", "08"]):
        pcis.append(pci("0000:%s:00.0" % bus, "Bridge", "0680", "NVIDIA Corporation", "10de", "Device 22a3",
                        "22a3", revision="a1", kernel_driver="nvidia", kernel_modules="nvidia", numa_node=0,
                        iommu_group=30 + s, parent=""))
    pcis.insert(0, pci("0000:00:00.0", "Host bridge", "0600", "Intel Corporation",
                       "8086", "Device 09a2", "09a2", revision="20", numa_node=0, parent=""))
    nv = [["X" if a == b else "NV18" for b in range(8)] for a in range(8)]
    gpu_nic = [["PXB" if a == n else ("NODE" if (a < 4) == (n < 4) else "SYS") for n in range(8)] for a in range(8)]
    nic_nic = [["X" if a == b else ("NODE" if (a < 4) == (b < 4) else "SYS") for b in range(8)] for a in range(8)]
    processes = [{"pid": 48211 + i, "name": "python3", "type": "C", "gpu_index": i, "used_memory_mib": used[i] - 8,
                  "sm_percent": util[i], "mem_percent": mem_util[i]} for i in range(4)]
    processes.append({"pid": 50312, "name": "/opt/conda/bin/python", "type": "C", "gpu_index": 4,
                      "used_memory_mib": 2306, "sm_percent": 12, "mem_percent": 3})
    processes.append({"pid": 49377, "name": "tritonserver", "type": "C", "gpu_index": 6,
                      "used_memory_mib": 23109, "sm_percent": 34, "mem_percent": 18})
    processes.append({"pid": 51873, "name": "/usr/bin/dcgm-exporter", "type": "C", "gpu_index": 7,
                      "used_memory_mib": 504, "sm_percent": 3, "mem_percent": 0})
    return {
        "name": "dgx-h100", "hostname": "dgx-h100-01", "platform": "nvidia",
        "timestamp": "2024-05-14T09:30:00.000", "installed_tools": NV_TOOLS,
        "driver_version": "550.54.15", "cuda_version": "12.4", "loop_samples": 3,
        "gpus": gpus, "processes": processes,
        "topology": {"nics": ["mlx5_%d" % n for n in range(8)], "gpu_gpu": nv, "gpu_nic": gpu_nic,
                     "nic_nic": nic_nic},
        "infiniband": [hca(n, "0000:%s:00.0" % nic_buses[n], 0x946dae0300a1b2c0, 400, lid=11 + n)
                       for n in range(8)],
        "pci_devices": pcis,
        "cuda_toolkit": {"release": "12.4", "version": "12.4.131", "built_on": "Thu_Mar_28_02:18:24_PDT_2024",
                         "build": "cuda_12.4.r12.4/compiler.34097967_0", "copyright_years": "2005-2024",
                         "gpu_archs": ["compute_50", "compute_52", "compute_53", "compute_60", "compute_61",
                                       "compute_62", "compute_70", "compute_72", "compute_75", "compute_80",
                                       "compute_86", "compute_87", "compute_89", "compute_90", "compute_90a"],
                         "gpu_codes": ["sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70", "sm_72",
                                       "sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"]},
        "dcgm": {"version": "3.3.5", "nvswitch_count": 4, "nvswitch_first_id": 8, "nvswitch_links": 64},
        "collectives": {"name": "NCCL", "version": "2.21.5", "build": "cuda12.4"},
    }


def mi250x_node():
    buses = ["c1", "c6", "c9", "ce", "d1", "d6", "d9", "de"]
    gpus, pcis = [], []
    # Every GCD in its own state: 0-3 run a training job, 6 a small job, 4, 5 and 7 are idle
    # (each with its own idle figures).
    used = [52416, 52672, 51904, 53184, 12, 10, 8214, 14]
    util = [92, 89, 94, 87, 0, 0, 21, 0]
    mem_util = [37, 35, 39, 33, 0, 0, 8, 0]
    edge = [44, 42, 46, 41, 31, 30, 36, 32]
    power = [412.0, None, 398.0, None, 91.0, None, 156.0, None]
    gtt = [11366400, 11370496, 11358208, 11374592, 5242880, 5246976, 7340032, 5251072]
    xgmi_err = [0, 0, 0, 2, 0, 0, 0, 0]
    for i, bus in enumerate(buses):
        numa = i // 2 if i < 8 else 3
        primary = i % 2 == 0
        busy = util[i] > 0
        gpus.append({
            "index": i, "name": "AMD Instinct MI250X", "brand": "AMD", "architecture": "CDNA2",
            "uuid": "GPU-%016x" % (0x3a7f1c2e5b6d8f90 + i),
            "serial": "PCB0468%06d" % (31210 + i // 2), "vbios_version": "113-D65210-063",
            "pci_bus_id": "0000:%s:00.0" % bus, "pci_device_id": "0x740c", "pcie_gen_current": 4, "pcie_gen_max": 4,
            "pcie_width_current": 16, "pcie_width_max": 16,
            "memory_total_mib": 65520, "memory_used_mib": used[i], "utilization_gpu": util[i],
            "utilization_memory": mem_util[i], "temperature_gpu": edge[i] + 4,
            "temperature_shutdown": 105, "temperature_slowdown": 100,
            "ecc_enabled": True, "ecc_volatile": {}, "ecc_aggregate": {}, "numa_node": numa,
            "fan_percent": None,
            "profiling": {"pcie_tx_bytes": 4194304 + 65536 * i if busy else 0,
                          "pcie_rx_bytes": 8388608 + 131072 * i if busy else 0},
            "amd": {
                "card_series": "AMD Instinct MI250X", "card_model": "0x740c",
                "card_vendor": "Advanced Micro Devices, Inc. [AMD/ATI]", "card_sku": "D65210",
                "subsystem_id": "0x0b0c", "device_rev": "0x01", "gfx_target": "gfx90a",
                "unique_id": "0x%016x" % (0x6a1d24c1b3e97f0 + i * 0x101), "kfd_id": str(45412 + i * 1013),
                "market_name": "AMD Instinct MI250X", "node_id": 4 + i, "guid": 45412 + i * 1013,
                "compute_units": 110, "temp_edge_c": edge[i], "temp_junction_c": edge[i] + 4,
                "temp_memory_c": edge[i] + 7 if busy else edge[i] + 6,
                "socket_power_w": power[i], "max_power_w": 560.0,
                "perf_level": "auto", "vis_vram_total_bytes": 68702699520,
                "vis_vram_used_bytes": used[i] * 1048576, "gtt_total_bytes": 270215475200,
                "gtt_used_bytes": gtt[i], "energy_counter": 40273321881 + i * 1000003 + util[i] * 7919,
                "energy_resolution_uj": 15.259, "xgmi_errors": xgmi_err[i], "pcie_replay_count": 0,
                "compute_partition": "", "memory_partition": "",
                "clocks": [{"name": "fclk", "levels_mhz": [400, 1600], "current_level": 1 if busy else 0},
                           {"name": "mclk", "levels_mhz": [400, 700, 1200, 1600], "current_level": 3},
                           {"name": "sclk", "levels_mhz": [500, 800, 1700], "current_level": 2 if util[i] > 50 else 1 if busy else 0},
                           {"name": "socclk", "levels_mhz": [666, 857, 1090], "current_level": 2 if busy else 0}],
                "firmware": [{"name": "ASD", "value": "0x21000090"}, {"name": "CE", "value": "79"},
                             {"name": "ME", "value": "67"}, {"name": "MEC", "value": "79"},
                             {"name": "PFP", "value": "112"}, {"name": "RLC", "value": "36"},
                             {"name": "SDMA", "value": "9"}, {"name": "SMC", "value": "00.68.55.00"},
                             {"name": "SOS", "value": "0x00270082"}, {"name": "TA XGMI", "value": "0x32000701"},
                             {"name": "VCN", "value": "0x0110101b"}],
            },
        })
        pcis.append(pci("0000:%s:00.0" % bus, "Display controller", "0380", "Advanced Micro Devices, Inc. [AMD/ATI]",
                        "1002", "Aldebaran/MI200 [Instinct MI250X/MI250]", "740c", revision="01",
                        subsystem_vendor_name="Advanced Micro Devices, Inc. [AMD/ATI]", subsystem_name="Device 0b0c",
                        subsystem_vendor_id="1002", subsystem_id="0b0c", kernel_driver="amdgpu",
                        kernel_modules="amdgpu", numa_node=numa, iommu_group=70 + i, link_cap_speed="16GT/s",
                        link_status_speed="16GT/s", link_cap_width=16, link_status_width=16, parent=""))
    pcis.insert(0, pci("0000:00:00.0", "Host bridge", "0600", "Advanced Micro Devices, Inc. [AMD]", "1022",
                       "Starship/Matisse Root Complex", "1480", numa_node=0, parent=""))
    pcis.append(pci("0000:21:00.0", "Infiniband controller", "0207", "Mellanox Technologies", "15b3",
                    "MT28908 Family [ConnectX-6]", "101b", kernel_driver="mlx5_core", kernel_modules="mlx5_core",
                    numa_node=0, iommu_group=20, link_cap_speed="16GT/s", link_status_speed="16GT/s",
                    link_cap_width=16, link_status_width=16, parent=""))
    # XGMI: the two GCDs of a package are linked by 4 links (weight 15), packages by 1-2 links.
    weight, hops, link = [], [], []
    for a in range(8):
        weight.append([0 if a == b else (15 if a // 2 == b // 2 else 30 if (a + b) % 2 == 0 else 45)
                       for b in range(8)])
        hops.append([0 if a == b else (1 if a // 2 == b // 2 or (a + b) % 2 == 0 else 2) for b in range(8)])
        link.append(["0" if a == b else "XGMI" for b in range(8)])
    processes = [{"pid": 4567 + i, "name": "python3", "gpu_index": i, "used_memory_mib": used[i] - 10,
                  "sm_percent": util[i], "mem_percent": mem_util[i]} for i in range(4)]
    processes.append({"pid": 6120, "name": "python3", "gpu_index": 6, "used_memory_mib": 8204, "sm_percent": 21,
                      "mem_percent": 8})
    return {
        "name": "mi250x-node", "hostname": "mi250x-node-03", "platform": "amd",
        "timestamp": "2024-05-14T09:30:00.000", "installed_tools": AMD_TOOLS,
        "driver_version": "6.7.0", "loop_samples": 3,
        "gpus": gpus, "processes": processes,
        "topology": {"weight": weight, "hops": hops, "link_type": link},
        "infiniband": [hca(0, "0000:21:00.0", 0x0c42a10300e4f1a0, 200, lid=7, part="4123", ca_type="MT4123",
                           fw="20.38.1002", board="MT_0000000223")],
        "pci_devices": pcis,
        "rocm": {"rocm_version": "6.2.0", "driver_version": "6.7.0", "amd_smi_version": "24.6.2+2b02a07",
                 "amd_smi_library_version": "24.6.2.0", "cpu_name": "AMD EPYC 7A53 64-Core Processor",
                 "cpu_agents": 4, "cpu_compute_units": 16},
        "collectives": {"name": "RCCL", "version": "2.20.5", "build": "hip6.2"},
    }


def pcie_workstation():
    buses = ["17", "65"]
    gpus, pcis = [], []
    for i, bus in enumerate(buses):
        gpus.append({
            "index": i, "name": "NVIDIA RTX A6000", "brand": "NVIDIA RTX", "architecture": "Ampere",
            "compute_capability": "8.6", "uuid": "GPU-%08x-1d2c-4e5f-8a9b-%012x" % (0x7c2e11a0 + i, 0x3d4e5f607182 + i),
            "serial": "132302200%04d" % (4411 + i), "vbios_version": "94.02.5C.00.02",
            "part_number": "900-5G133-2200-000", "board_id": "0x%s00" % bus,
            "pci_bus_id": "0000:%s:00.0" % bus, "pci_device_id": "0x223010DE", "pci_subsystem_id": "0x145910DE",
            "pcie_gen_current": 4, "pcie_gen_max": 4, "pcie_width_current": 16, "pcie_width_max": 16,
            "memory_total_mib": 49140, "memory_reserved_mib": 303, "memory_used_mib": 18432 if i == 0 else 4,
            "bar1_total_mib": 65536, "bar1_used_mib": 5 if i == 0 else 1,
            "utilization_gpu": 64 if i == 0 else 0, "utilization_memory": 22 if i == 0 else 0,
            "temperature_gpu": 67 if i == 0 else 34, "temperature_shutdown": 98, "temperature_slowdown": 95,
            "temperature_max_operating": 93,
            "power_draw_w": 231.57 if i == 0 else 21.34, "power_limit_w": 300.0, "power_default_limit_w": 300.0,
            "power_min_limit_w": 100.0, "power_max_limit_w": 300.0,
            "clocks": {"graphics_mhz": 1800 if i == 0 else 210, "sm_mhz": 1800 if i == 0 else 210,
                       "memory_mhz": 8001 if i == 0 else 405, "video_mhz": 1605 if i == 0 else 555},
            "max_clocks": {"graphics_mhz": 2100, "sm_mhz": 2100, "memory_mhz": 8001, "video_mhz": 1950},
            "application_clocks": {"graphics_mhz": 1800, "memory_mhz": 8001},
            "persistence_mode": False, "ecc_enabled": False, "compute_mode": "Default", "mig_mode": "N/A",
            "fan_percent": 58 if i == 0 else 30, "pstate": "P2" if i == 0 else "P8", "numa_node": 0,
            "cpu_affinity": "0-31", "nvlinks": [],
        })
        pcis.append(pci("0000:%s:00.0" % bus, "VGA compatible controller", "0300", "NVIDIA Corporation", "10de",
                        "GA102GL [RTX A6000]", "2230", revision="a1", subsystem_vendor_name="NVIDIA Corporation",
                        subsystem_name="GA102GL [RTX A6000]", subsystem_vendor_id="10de", subsystem_id="1459",
                        kernel_driver="nvidia", kernel_modules="nvidiafb, nouveau, nvidia_drm, nvidia", numa_node=0,
                        iommu_group=14 + i, link_cap_speed="16GT/s", link_status_speed="16GT/s", link_cap_width=16,
                        link_status_width=16, parent="0000:%02x:00.0" % (int(bus, 16) - 1)))
        pcis.append(pci("0000:%s:00.1" % bus, "Audio device", "0403", "NVIDIA Corporation", "10de",
                        "GA102 High Definition Audio Controller", "1aef", revision="a1",
                        kernel_driver="snd_hda_intel", kernel_modules="snd_hda_intel", numa_node=0,
                        iommu_group=14 + i, parent="0000:%02x:00.0" % (int(bus, 16) - 1)))
        pcis.insert(len(pcis) - 2, pci("0000:%02x:00.0" % (int(bus, 16) - 1), "PCI bridge", "0604",
                                       "Intel Corporation", "8086", "Device 347a", "347a", revision="04",
                                       kernel_driver="pcieport", numa_node=0, parent="",
                                       secondary_bus="[%s]" % bus))
    pcis.append(pci("0000:b3:00.0", "Ethernet controller", "0200", "Mellanox Technologies", "15b3",
                    "MT2892 Family [ConnectX-6 Dx]", "101d", kernel_driver="mlx5_core", kernel_modules="mlx5_core",
                    numa_node=0, iommu_group=30, link_cap_speed="16GT/s", link_status_speed="16GT/s",
                    link_cap_width=16, link_status_width=16, parent=""))
    pcis.insert(0, pci("0000:00:00.0", "Host bridge", "0600", "Intel Corporation", "8086",
                       "Sky Lake-E DMI3 Registers", "2020", revision="04", numa_node=0, parent=""))
    return {
        "name": "pcie-workstation", "hostname": "ws-a6000", "platform": "nvidia",
        "timestamp": "2024-05-14T09:30:00.000", "installed_tools": NV_TOOLS,
        "driver_version": "535.161.07", "cuda_version": "12.2", "loop_samples": 3,
        "gpus": gpus,
        "processes": [{"pid": 3141, "name": "python", "type": "C", "gpu_index": 0, "used_memory_mib": 18420,
                       "sm_percent": 64, "mem_percent": 22}],
        "topology": {"nics": ["mlx5_0"], "gpu_gpu": [["X", "SYS"], ["SYS", "X"]], "gpu_nic": [["SYS"], ["SYS"]],
                     "nic_nic": [["X"]]},
        "infiniband": [hca(0, "0000:b3:00.0", 0x1070fd0300b2c3d0, 100, link_layer="Ethernet", part="4125",
                           ca_type="MT4125", fw="22.39.1002", board="MT_0000000359", netdev="enp179s0f0np0")],
        "pci_devices": pcis,
        "cuda_toolkit": {"release": "12.2", "version": "12.2.140", "built_on": "Tue_Jul_11_02:20:44_PDT_2023",
                         "build": "cuda_12.2.r12.2/compiler.33053471_0", "copyright_years": "2005-2023",
                         "gpu_archs": ["compute_50", "compute_52", "compute_53", "compute_60", "compute_61",
                                       "compute_62", "compute_70", "compute_72", "compute_75", "compute_80",
                                       "compute_86", "compute_87", "compute_89", "compute_90", "compute_90a"],
                         "gpu_codes": ["sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70", "sm_72",
                                       "sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"]},
        "dcgm": {"version": "3.3.5", "nvswitch_count": 0},
        "collectives": {"name": "NCCL", "version": "2.19.3", "build": "cuda12.2"},
    }


def main():
    for profile in (dgx_h100(), mi250x_node(), pcie_workstation()):
        with open(os.path.join(HERE, profile["name"] + ".json"), "w") as f:
            json.dump(profile, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
