// libFuzzer target for the update-plan reader (update::parse_update_plan): for any bytes it returns
// a plan or throws frugal::input_error naming the file; a plan it returns survives
// update_plan_json -> parse_update_plan unchanged, and writing it again gives the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/update/disagreement.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "update_plan_fuzz: %s\n", what);
  std::abort();
}

bool same(const update::update_plan& a, const update::update_plan& b) {
  if (a.version != b.version || a.seed != b.seed || a.hash != b.hash ||
      a.old_fingerprint != b.old_fingerprint || a.new_fingerprint != b.new_fingerprint ||
      a.items != b.items || a.disagreements != b.disagreements || a.budget != b.budget ||
      a.agreement_share != b.agreement_share || a.stratified != b.stratified ||
      a.strata.size() != b.strata.size())
    return false;
  for (std::size_t s = 0; s < a.strata.size(); ++s) {
    const update::plan_stratum& x = a.strata[s];
    const update::plan_stratum& y = b.strata[s];
    if (x.name != y.name || x.agreement != y.agreement || x.old_class != y.old_class ||
        x.new_class != y.new_class || x.population != y.population || x.ids != y.ids)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  update::update_plan plan;
  try {
    plan = update::parse_update_plan(text, "plan.json");
  } catch (const input_error& error) {
    if (error.file() != "plan.json") fail("an error that does not name the plan file");
    return 0;
  }
  std::size_t sampled = 0;
  for (const update::plan_stratum& stratum : plan.strata) {
    if (stratum.ids.size() > stratum.population) fail("a stratum samples more than it holds");
    sampled += stratum.ids.size();
  }
  if (plan.sample_size() != sampled) fail("sample_size is not the sum of the strata");
  // Anything parse_update_plan accepts, update_plan_json must write and parse_update_plan read
  // back; an exception here escapes and is reported as a crash.
  const std::string written = update::update_plan_json(plan);
  const update::update_plan again = update::parse_update_plan(written, "written.json");
  if (!same(plan, again)) fail("the round trip changed the plan");
  if (update::update_plan_json(again) != written)
    fail("writing the same plan twice gave different bytes");
  return 0;
}
