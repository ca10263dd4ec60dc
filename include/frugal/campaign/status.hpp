#pragma once
/// What the front ends show of a campaign, built once for all of them: the JSON object of
/// `frugal status --json` and `GET /api/status`, the sets an item is asked for, and the events
/// that a batch of labels finishing sets adds to the log.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::campaign {

/// The status object as JSON text (DESIGN.md §3, `frugal status --json`): settings, per-set
/// progress with recall and F1 when requested, strata, annotators and agreement, and the what-if
/// rule when given. `indent` < 0 gives one line.
std::string status_json(const store& campaign, const campaign_state& state,
                        const std::optional<rule_estimate>& what_if, int indent);

/// The names of the unfinished sets that ask for `row` (or "votes=V" when only a recall/F1
/// stratum does). `items` is the population of the campaign's items under its rule.
std::vector<std::string> sets_needing(const sampling::population& items,
                                      const campaign_state& state, std::size_t row);

/// (kind, detail JSON) events for the sets, and the campaign, that finished between `before`
/// and `after`: appended to the log in the import that finishes them.
std::vector<std::pair<std::string, std::string>> finishing_events(const campaign_state& before,
                                                                  const campaign_state& after);

}  // namespace frugal::campaign
