// libFuzzer target for the plan reader: for any bytes, parse_plan returns a document or throws
// frugal::input_error; a document it returns survives plan_to_json -> parse_plan unchanged, and
// writing it again gives the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/io/plan_file.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "plan_fuzz: %s\n", what);
  std::abort();
}

bool same(const io::plan_document& a, const io::plan_document& b) {
  if (a.tool_version != b.tool_version || a.design != b.design || a.seed != b.seed ||
      a.hash != b.hash || a.margin_of_error != b.margin_of_error ||
      a.confidence_level != b.confidence_level || a.ensemble != b.ensemble ||
      a.models != b.models || a.predictions != b.predictions || a.fingerprint != b.fingerprint ||
      a.items != b.items || a.queue != b.queue || a.naive_sum != b.naive_sum ||
      a.expected_independent != b.expected_independent || a.sets.size() != b.sets.size())
    return false;
  for (std::size_t s = 0; s < a.sets.size(); ++s) {
    const auto& x = a.sets[s];
    const auto& y = b.sets[s];
    if (x.name != y.name || x.positives != y.positives || x.sample_size != y.sample_size ||
        x.prior_precision != y.prior_precision || x.threshold_priority != y.threshold_priority ||
        x.sample != y.sample)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  io::plan_document document;
  try {
    document = io::parse_plan(text, "plan.json");
  } catch (const input_error& error) {
    if (error.file() != "plan.json") fail("an error that does not name the plan file");
    return 0;
  }
  // Anything parse_plan accepts, plan_to_json must write and parse_plan read back; an exception
  // here escapes and is reported as a crash.
  const std::string written = io::plan_to_json(document);
  const io::plan_document again = io::parse_plan(written, "written.json");
  if (!same(document, again)) fail("the round trip changed the plan");
  if (io::plan_to_json(again) != written) fail("writing the same plan twice gave different bytes");
  return 0;
}
