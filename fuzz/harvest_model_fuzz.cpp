// libFuzzer target for the detector model files and the synthetic-pairs reader (issue 8). The
// bytes are written to a file and loaded as a paraphrase and as a friction detector: each load
// returns a usable model (its probability is in [0, 1]) or throws frugal::input_error naming the
// file; nothing else may escape. The same bytes parsed as a pairs file give non-empty token
// lists that survive a write/parse round trip, or an input_error with a line.

#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/paraphrase_pairs.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "harvest_model_fuzz: %s\n", what);
  std::abort();
}

// One scratch file a process, removed when the process ends normally.
struct scratch_file {
  std::string path = "/tmp/harvest_model_fuzz." + std::to_string(::getpid());
  ~scratch_file() { std::remove(path.c_str()); }
};

const std::string& model_path() {
  static const scratch_file file;
  return file.path;
}

void check_probability(double p) {
  if (!(p >= 0.0 && p <= 1.0)) fail("a probability outside [0, 1]");
}

void load_models(std::string_view bytes) {
  {
    std::ofstream out(model_path(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail("cannot write the temporary model file");
  }
  try {
    const harvest::paraphrase_detector detector = harvest::paraphrase_detector::load(model_path());
    check_probability(detector.probability({"play", "jazz"}, {"put", "on", "jazz"}));
  } catch (const input_error& error) {
    if (error.file() != model_path()) fail("a paraphrase model error that does not name the file");
  }
  try {
    const harvest::friction_detector detector = harvest::friction_detector::load(model_path());
    harvest::turn t;
    t.text = "play jazz";
    t.tokens = {"play", "jazz"};
    t.status = "200";
    check_probability(detector.probability(t));
  } catch (const input_error& error) {
    if (error.file() != model_path()) fail("a friction model error that does not name the file");
  }
}

void parse_pairs(std::string_view text) {
  harvest::paraphrase_pairs pairs;
  try {
    pairs = harvest::parse_paraphrase_pairs(text, "p.jsonl");
  } catch (const input_error& error) {
    if (error.file() != "p.jsonl") fail("a pairs error that does not name the file");
    if (error.line() == 0) fail("a pairs error without a line");
    return;
  }
  std::string written;
  for (const harvest::paraphrase_example& pair : pairs.examples) {
    if (pair.a.empty() || pair.b.empty()) fail("a pair with an empty side accepted");
    for (const auto* side : {&pair.a, &pair.b})
      for (const std::string& token : *side)
        if (token.empty()) fail("an empty token accepted");
    written += harvest::paraphrase_pair_line(pair) + '\n';
  }
  const harvest::paraphrase_pairs again = harvest::parse_paraphrase_pairs(written, "again.jsonl");
  if (again.examples.size() != pairs.examples.size()) fail("round trip changed the pair count");
  for (std::size_t i = 0; i < pairs.examples.size(); ++i)
    if (again.examples[i].a != pairs.examples[i].a || again.examples[i].b != pairs.examples[i].b ||
        again.examples[i].paraphrase != pairs.examples[i].paraphrase ||
        again.examples[i].kind != pairs.examples[i].kind)
      fail("round trip changed a pair");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  load_models(bytes);
  parse_pairs(bytes);
  return 0;
}
