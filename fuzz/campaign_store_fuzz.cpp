// libFuzzer target for the campaign file reader: for any bytes written as a campaign file,
// store::open, resolve_labels and evaluate either work or throw frugal::input_error (damaged or
// foreign files are the user's to fix, exit 3), never crash. The seed corpus holds a small
// valid campaign (fuzz/corpus/campaign_store_fuzz/), so mutations reach the tables.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/frugal_campaign_fuzz_" + std::to_string(::getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
  {
    std::ofstream file(path, std::ios::binary);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const frugal::campaign::store campaign = frugal::campaign::store::open(path);
    const auto labels = frugal::campaign::resolve_labels(campaign, campaign.labels());
    const auto state = frugal::campaign::evaluate(campaign, labels);
    (void)frugal::campaign::next_rows(state, labels, 5);
  } catch (const frugal::input_error&) {
  }
  return 0;
}
