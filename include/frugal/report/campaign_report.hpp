#pragma once
/// The campaign report: one self-contained HTML file (inline CSS and SVG, no script, nothing
/// fetched from the network) that a user can mail or archive. It shows each set's estimate and
/// interval, labels used against what a fixed-n coordinated plan and independent sampling would
/// have needed, labels over time, the recall/F1 strata when present, and the items whose
/// annotators disagree.
#include <string>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"

namespace frugal::report {

/// Renders the report. Every text from the data (ids, set names, paths) is HTML-escaped.
std::string campaign_report_html(const campaign::store& campaign,
                                 const campaign::campaign_state& state,
                                 const std::vector<campaign::label_record>& labels);

}  // namespace frugal::report
