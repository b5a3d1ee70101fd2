// Tests of the topology JSON format, its errors, the SKU generators and the random generator.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scorers/topology/routing.h"
#include "scorers/topology/sku_generators.h"
#include "scorers/topology/topology.h"

namespace aimicius::topology {
namespace {

nlohmann::json two_gpus_on_switch() {
  return nlohmann::json::parse(R"({
    "name": "tiny",
    "nodes": [{"id": 2, "kind": "nvswitch"}, {"id": 0, "kind": "gpu"}, {"id": 1, "kind": "gpu", "host": 0}],
    "links": [{"src": 0, "dst": 2, "type": "nvswitch", "bandwidth_GBps": 100, "latency_us": 1},
              {"src": 1, "dst": 2, "type": "nvswitch", "bandwidth_GBps": 50, "latency_us": 0.5, "count": 2}]
  })");
}

std::string parse_error(const nlohmann::json& document) {
  try {
    parse_topology(document);
  } catch (const TopologyError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(TopologyParse, ReadsNodesLinksAndChannels) {
  const Topology t = parse_topology(two_gpus_on_switch());
  EXPECT_EQ(t.name(), "tiny");
  EXPECT_EQ(t.gpu_count(), 2);
  EXPECT_EQ(t.node_count(), 3);
  EXPECT_EQ(t.nodes()[2].kind, NodeKind::nvswitch);
  EXPECT_EQ(t.nodes()[0].name, "gpu0");
  ASSERT_EQ(t.channels().size(), 4u);  // two undirected links
  const auto up = t.find_channel(1, 2);
  ASSERT_TRUE(up.has_value());
  EXPECT_DOUBLE_EQ(t.channels()[*up].bandwidth_gbps, 100.0);  // count 2 x 50
  EXPECT_FALSE(t.find_channel(0, 1).has_value());
}

TEST(TopologyParse, RoundTripsThroughJson) {
  const Topology t = mi250x_like();
  const Topology again = parse_topology(to_json(t));
  EXPECT_EQ(to_json(again), to_json(t));
}

TEST(TopologyParse, DirectedLinkHasOneChannel) {
  auto doc = two_gpus_on_switch();
  doc["links"][0]["directed"] = true;
  const Topology t = parse_topology(doc);
  EXPECT_TRUE(t.find_channel(0, 2).has_value());
  EXPECT_FALSE(t.find_channel(2, 0).has_value());
}

TEST(TopologyParse, ErrorsNameTheJsonPath) {
  auto doc = two_gpus_on_switch();
  doc["links"][1]["bandwidth_GBps"] = 0;
  EXPECT_EQ(parse_error(doc), "$.links[1].bandwidth_GBps: must be a finite number > 0");

  doc = two_gpus_on_switch();
  doc["links"][0]["latency_us"] = "fast";
  EXPECT_EQ(parse_error(doc), "$.links[0].latency_us: must be a number");

  doc = two_gpus_on_switch();
  doc["links"][0]["type"] = "ethernet";
  EXPECT_EQ(parse_error(doc), "$.links[0].type: unknown link type \"ethernet\"");

  doc = two_gpus_on_switch();
  doc["links"][0]["dst"] = 7;
  EXPECT_EQ(parse_error(doc), "$.links[0].dst: unknown node 7");

  doc = two_gpus_on_switch();
  doc["nodes"][1]["colour"] = "red";
  EXPECT_EQ(parse_error(doc), "$.nodes[1].colour: unknown key");

  doc = two_gpus_on_switch();
  doc["nodes"][2].erase("kind");
  EXPECT_EQ(parse_error(doc), "$.nodes[2].kind: missing");

  doc = two_gpus_on_switch();
  doc["links"].push_back({{"src", 2}, {"dst", 0}, {"type", "nvswitch"}, {"bandwidth_GBps", 1}, {"latency_us", 1}});
  EXPECT_NE(parse_error(doc).find("$.links[2]: duplicate link 2 -> 0 (also $.links[0]"), std::string::npos);

  doc = two_gpus_on_switch();
  doc["nodes"][0]["id"] = 1;  // duplicate id
  EXPECT_NE(parse_error(doc).find("$.nodes[2].id: duplicate id 1"), std::string::npos);

  doc = two_gpus_on_switch();
  doc["nodes"][0]["id"] = 0;  // the switch takes id 0, a GPU gets 2
  doc["nodes"][1]["id"] = 2;
  EXPECT_NE(parse_error(doc).find("GPUs must have the ids 0..1"), std::string::npos);

  doc = two_gpus_on_switch();
  doc["links"][0]["dst"] = 0;
  EXPECT_EQ(parse_error(doc), "$.links[0]: links node 0 to itself");

  EXPECT_EQ(parse_error(nlohmann::json::array()), "$: must be an object");
}

TEST(Routing, DefaultRouteIsLeastLatencyAndSkipsGpus) {
  const Topology dgx = dgx_h100_like();
  const auto route = shortest_latency_route(dgx, 0, 5);
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->nodes, (std::vector<int>{0, 8, 5}));
  EXPECT_DOUBLE_EQ(route->latency_us, 1.0);

  // MI250X-like: 0 and 3 are not linked and GPUs do not forward.
  const Topology mi = mi250x_like();
  EXPECT_FALSE(shortest_latency_route(mi, 0, 3).has_value());
  EXPECT_TRUE(shortest_latency_route(mi, 0, 4).has_value());

  // NDv4-like: the NVSwitch (0.7+0.7) beats PCIe (1+1) even for a PCIe-switch pair.
  const auto nd = shortest_latency_route(ndv4_a100_like(), 0, 1);
  ASSERT_TRUE(nd.has_value());
  EXPECT_EQ(nd->nodes, (std::vector<int>{0, 8, 1}));

  // Two nodes: across hosts through NIC, IB switch, NIC.
  const Topology two = two_node(8, 450, 50);
  const auto cross = shortest_latency_route(two, 0, 9);
  ASSERT_TRUE(cross.has_value());
  EXPECT_EQ(cross->nodes.size(), 5u);
  EXPECT_DOUBLE_EQ(cross->latency_us, 6.0);
}

TEST(Routing, ExplicitPathChecks) {
  const Topology dgx = dgx_h100_like();
  std::string error;
  EXPECT_TRUE(route_from_path(dgx, 0, 1, {0, 8, 1}, &error).has_value());
  EXPECT_FALSE(route_from_path(dgx, 0, 1, {0, 1}, &error).has_value());
  EXPECT_EQ(error, "path hop 0 -> 1: no link in that direction");
  EXPECT_FALSE(route_from_path(dgx, 0, 1, {0, 8, 2, 8, 1}, &error).has_value());
  EXPECT_NE(error.find("passes through GPU 2"), std::string::npos);
  EXPECT_FALSE(route_from_path(dgx, 0, 1, {2, 8, 1}, &error).has_value());
  EXPECT_EQ(error, "path starts at node 2, not at src 0");
}

TEST(Generators, NamedSkusHaveTheDocumentedShape) {
  EXPECT_EQ(dgx_h100_like().gpu_count(), 8);
  EXPECT_EQ(dgx_h100_like().node_count(), 9);
  EXPECT_EQ(ndv4_a100_like().gpu_count(), 8);
  EXPECT_EQ(mi300x_like().links().size(), 28u);
  EXPECT_EQ(pcie_only(8).gpu_count(), 8);
  EXPECT_EQ(two_node(8, 450, 50).gpu_count(), 16);
  EXPECT_EQ(two_node(8, 450, 50).gpu_hosts(), (std::vector<int>{0, 1}));
  EXPECT_THROW(pcie_only(3), std::invalid_argument);
  for (const Topology& t : {dgx_h100_like(), ndv4_a100_like(), mi250x_like(), mi300x_like(),
                            pcie_only(4), two_node(4, 300, 25)})
    EXPECT_TRUE(gpus_connected(t)) << t.name();
}

TEST(Generators, RandomTopologiesAreValidConnectedVariedAndDeterministic) {
  std::set<std::string> families;
  std::set<int> sizes;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    const Topology t = random_topology(seed);
    EXPECT_GE(t.gpu_count(), 4) << t.name();
    EXPECT_LE(t.gpu_count(), 16) << t.name();
    EXPECT_TRUE(gpus_connected(t)) << t.name();
    EXPECT_NO_THROW(parse_topology(to_json(t))) << t.name();
    const std::string name = t.name();
    families.insert(name.substr(name.find('-', 7) + 1, name.find('-', name.find('-', 7) + 1) - name.find('-', 7) - 1));
    sizes.insert(t.gpu_count());
  }
  EXPECT_EQ(families, (std::set<std::string>{"switch", "mesh", "pcie", "multihost"}));
  EXPECT_GE(sizes.size(), 8u);
  EXPECT_EQ(to_json(random_topology(42)), to_json(random_topology(42)));
  EXPECT_NE(to_json(random_topology(42)), to_json(random_topology(43)));
}

}  // namespace
}  // namespace aimicius::topology
