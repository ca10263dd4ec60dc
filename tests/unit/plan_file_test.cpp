// Tests of io::plan_to_json and io::parse_plan: the round trip, and every way a plan file can be
// broken.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/io/plan_file.hpp"

namespace frugal::io {
namespace {

using json = nlohmann::ordered_json;

plan_document sample_plan() {
  plan_document document;
  document.tool_version = "0.1.0";
  document.design = "coordinated";
  document.seed = std::numeric_limits<std::uint64_t>::max();  // must survive exactly
  document.hash = "xxh3-64";
  document.margin_of_error = 0.05;
  document.confidence_level = 0.95;
  document.ensemble = "majority";
  document.models = {"a", "b \"quoted\"", "\xC3\xA9t\xC3\xA9"};
  document.predictions = "data/predictions.csv";
  document.fingerprint = "0123456789abcdef";
  document.items = 12392;
  plan_document::set_entry ensemble;
  ensemble.name = "ensemble";
  ensemble.positives = 1573;
  ensemble.sample_size = 309;
  ensemble.prior_precision = 0.5;
  ensemble.threshold_priority = 0.1234567890123456789;
  ensemble.sample = {"x1", "x2", "x1"};
  plan_document::set_entry member;
  member.name = "a";
  member.positives = 0;
  member.sample_size = 0;
  member.prior_precision = 0.9;
  member.threshold_priority = std::nullopt;
  document.sets = {ensemble, member};
  document.queue = {"x1", "x2", "id, with \"quotes\"\n"};
  document.naive_sum = 1877;
  document.expected_independent = 473.6;
  return document;
}

void expect_same(const plan_document& a, const plan_document& b) {
  EXPECT_EQ(a.tool_version, b.tool_version);
  EXPECT_EQ(a.design, b.design);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.margin_of_error, b.margin_of_error);
  EXPECT_EQ(a.confidence_level, b.confidence_level);
  EXPECT_EQ(a.ensemble, b.ensemble);
  EXPECT_EQ(a.models, b.models);
  EXPECT_EQ(a.predictions, b.predictions);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.items, b.items);
  ASSERT_EQ(a.sets.size(), b.sets.size());
  for (std::size_t s = 0; s < a.sets.size(); ++s) {
    EXPECT_EQ(a.sets[s].name, b.sets[s].name);
    EXPECT_EQ(a.sets[s].positives, b.sets[s].positives);
    EXPECT_EQ(a.sets[s].sample_size, b.sets[s].sample_size);
    EXPECT_EQ(a.sets[s].prior_precision, b.sets[s].prior_precision);
    EXPECT_EQ(a.sets[s].threshold_priority, b.sets[s].threshold_priority);
    EXPECT_EQ(a.sets[s].sample, b.sets[s].sample);
  }
  EXPECT_EQ(a.queue, b.queue);
  EXPECT_EQ(a.naive_sum, b.naive_sum);
  EXPECT_EQ(a.expected_independent, b.expected_independent);
}

input_error error_of(std::string_view text) {
  try {
    parse_plan(text, "plan.json");
  } catch (const input_error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return input_error("no error");
}

// The sample plan as a JSON value, to be broken by a test.
json sample_json() {
  return json::parse(plan_to_json(sample_plan()));
}

std::string message_of(const json& plan) {
  return error_of(plan.dump(2)).message();
}

std::string fmt_missing(const std::string& key, const std::string& where) {
  return "plan is missing \"" + key + "\" in " + where;
}

TEST(PlanFile, RoundTripKeepsEveryField) {
  const plan_document original = sample_plan();
  const std::string text = plan_to_json(original);
  const plan_document parsed = parse_plan(text, "plan.json");
  expect_same(original, parsed);
  // Same plan, same bytes.
  EXPECT_EQ(plan_to_json(parsed), text);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(0, 22), "{\n  \"tool\": \"frugal\",\n");
  const json root = json::parse(text);
  EXPECT_EQ(root["annotations"], 3);
  EXPECT_EQ(root["seed"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(root["sets"][1]["threshold_priority"].is_null());
  EXPECT_EQ(root["predictions"]["fingerprint"], "0123456789abcdef");
}

TEST(PlanFile, RoundTripOfAnEmptyPlan) {
  plan_document empty;
  empty.tool_version = "0";
  const plan_document parsed = parse_plan(plan_to_json(empty), "plan.json");
  expect_same(empty, parsed);
}

TEST(PlanFile, MalformedJsonHasLineAndColumn) {
  const input_error error = error_of("{\n  \"tool\": \"frugal\",\n  \"seed\": x\n}\n");
  EXPECT_EQ(error.file(), "plan.json");
  EXPECT_EQ(error.line(), 3u);
  EXPECT_EQ(error.column(), 11u);
  EXPECT_EQ(std::string(error.what()), "plan.json:3:11: the plan is not valid JSON");

  const input_error first = error_of("]");
  EXPECT_EQ(first.line(), 1u);
  EXPECT_EQ(first.column(), 1u);

  const input_error empty = error_of("");
  EXPECT_EQ(empty.line(), 1u);
  EXPECT_EQ(empty.column(), 1u);

  // Cut short: the error is where the text ends.
  std::string text = plan_to_json(sample_plan());
  text.resize(text.size() - 3);  // cut off the closing "\n}\n"
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  const input_error cut = error_of(text);
  EXPECT_EQ(cut.line(), lines + 1);
  EXPECT_EQ(cut.column(), text.size() - text.rfind('\n'));

  // A number out of range for a double is bad input too.
  json huge = sample_json();
  std::string huge_text = huge.dump(2);
  const std::string margin = "\"margin\": 0.05";
  ASSERT_NE(huge_text.find(margin), std::string::npos);
  huge_text.replace(huge_text.find(margin), margin.size(), "\"margin\": 1e999");
  EXPECT_NE(error_of(huge_text).message().find("not valid JSON"), std::string::npos);
}

TEST(PlanFile, NotAPlan) {
  EXPECT_EQ(error_of("[1, 2]").message(), "the plan must be a JSON object");
  EXPECT_EQ(error_of("\"frugal\"").message(), "the plan must be a JSON object");
  json plan = sample_json();
  plan.erase("tool");
  EXPECT_NE(message_of(plan).find("not a frugal plan"), std::string::npos);
  plan["tool"] = 5;
  EXPECT_NE(message_of(plan).find("not a frugal plan"), std::string::npos);
  plan["tool"] = "other";
  EXPECT_NE(message_of(plan).find("not a frugal plan"), std::string::npos);
}

TEST(PlanFile, MissingFieldsAreNamed) {
  for (const char* key :
       {"version", "design", "seed", "hash", "margin", "confidence", "ensemble", "models",
        "predictions", "sets", "queue", "naive_sum", "expected_independent"}) {
    json plan = sample_json();
    plan.erase(key);
    EXPECT_EQ(message_of(plan), fmt_missing(key, "the plan"));
  }
  for (const char* key : {"file", "fingerprint", "items"}) {
    json plan = sample_json();
    plan["predictions"].erase(key);
    EXPECT_EQ(message_of(plan), fmt_missing(key, "\"predictions\""));
  }
  for (const char* key :
       {"name", "positives", "sample_size", "prior_precision", "threshold_priority", "sample"}) {
    json plan = sample_json();
    plan["sets"][1].erase(key);
    EXPECT_EQ(message_of(plan), fmt_missing(key, "a set"));
  }
}

TEST(PlanFile, MistypedFieldsAreNamed) {
  struct mistyped {
    const char* key;
    json value;
  };
  const std::vector<mistyped> cases = {
      {"seed", "1"},         {"seed", -1},     {"seed", 1.5},
      {"margin", "0.05"},    {"margin", true}, {"confidence", nullptr},
      {"models", {1, 2}},    {"models", "a"},  {"naive_sum", -3},
      {"queue", {{"x", 1}}}, {"version", 1},   {"expected_independent", "1"},
  };
  for (const mistyped& c : cases) {
    json plan = sample_json();
    plan[c.key] = c.value;
    EXPECT_EQ(message_of(plan),
              std::string("plan field \"") + c.key + "\" in the plan has the wrong type")
        << c.key << " = " << c.value.dump();
  }
  json plan = sample_json();
  plan["sets"][0]["threshold_priority"] = "high";
  EXPECT_EQ(message_of(plan), "plan field \"threshold_priority\" in a set has the wrong type");
  plan = sample_json();
  plan["sets"][0]["positives"] = 2.5;
  EXPECT_EQ(message_of(plan), "plan field \"positives\" in a set has the wrong type");
  plan = sample_json();
  plan["predictions"]["items"] = "12392";
  EXPECT_EQ(message_of(plan), "plan field \"items\" in \"predictions\" has the wrong type");
  plan = sample_json();
  plan["sets"] = json::object();
  EXPECT_EQ(message_of(plan), "plan field \"sets\" must be an array");
  plan = sample_json();
  plan["sets"][0] = 7;
  EXPECT_EQ(message_of(plan), fmt_missing("name", "a set"));
}

TEST(PlanFile, IdsThatAreNotUtf8CannotBeWritten) {
  plan_document document = sample_plan();
  document.queue.push_back("bad \xFF id");
  try {
    plan_to_json(document);
    ADD_FAILURE() << "invalid UTF-8 written";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "data/predictions.csv");
    EXPECT_NE(error.message().find("UTF-8"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace frugal::io
