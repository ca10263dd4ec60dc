// libFuzzer target for the ensemble-rule parser (--ensemble, --rule): for any text, parse returns
// a rule or throws frugal::input_error; a rule it returns survives to_string -> parse unchanged,
// and a population built with it on a small fixed table either works or throws input_error
// (an unknown member of a weighted rule, K above the member count).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/population.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "ensemble_rule_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

const io::prediction_table& small_table() {
  static const io::prediction_table table = io::parse_predictions(
      "id,a,b,threshold,parent\nx,1,0,1,1\ny,1,1,0,0\nz,0,0,1,1\nw,1,1,1,0\n", "fuzz.csv");
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sampling::ensemble_rule rule;
  try {
    rule = sampling::ensemble_rule::parse(text);
  } catch (const input_error&) {
    return 0;
  }
  const std::string written = rule.to_string();
  sampling::ensemble_rule again;
  try {
    again = sampling::ensemble_rule::parse(written);
  } catch (const input_error& error) {
    fail("to_string does not parse", written + ": " + error.what());
  }
  if (!(again == rule)) fail("round trip changed the rule", text + " -> " + written);
  if (rule.rule == sampling::ensemble_rule::kind::column) return 0;  // needs its own column
  try {
    const io::prediction_table& table = small_table();
    const sampling::population items(table, rule);
    // The parent's vote on every row, worked out here from the rule's definition.
    const std::size_t members = table.member_count();
    for (std::size_t row = 0; row < table.size(); ++row) {
      const std::size_t votes = static_cast<std::size_t>(std::popcount(table.votes[row]));
      bool expected = false;
      switch (rule.rule) {
        case sampling::ensemble_rule::kind::majority:
          expected = 2 * votes > members;
          break;
        case sampling::ensemble_rule::kind::any:
          expected = votes >= 1;
          break;
        case sampling::ensemble_rule::kind::all:
          expected = votes == members;
          break;
        case sampling::ensemble_rule::kind::at_least:
          expected = votes >= rule.threshold;
          break;
        case sampling::ensemble_rule::kind::weighted: {
          double sum = 0.0;
          for (const auto& weight : rule.weights)
            for (std::size_t j = 0; j < members; ++j)
              if (table.model_names[j] == weight.name && (table.votes[row] >> j & 1))
                sum += weight.weight;
          expected = rule.weighted_vote(sum);
          break;
        }
        case sampling::ensemble_rule::kind::column:
          return 0;
      }
      if (items.parent_vote(row) != expected)
        fail("parent vote", text + " on row " + std::to_string(row));
    }
  } catch (const input_error&) {
  }
  return 0;
}
