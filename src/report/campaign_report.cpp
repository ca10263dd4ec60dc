#include "frugal/report/campaign_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "report/svg.hpp"

namespace frugal::report {
namespace {

using detail::escape_html;
using detail::grouped;

// Beyond this the list stops being something a reader scans; the JSON status has them all.
constexpr std::size_t max_disagreements_listed = 200;

std::string fixed4(double value) {
  return fmt::format("{:.4f}", value);
}

std::string percent(double share) {
  return fmt::format("{:.1f}%", 100.0 * share);
}

std::string interval_text(const estimation::proportion_interval& interval) {
  return fmt::format("[{:.4f}, {:.4f}]", interval.lower, interval.upper);
}

std::string target_text(const campaign::campaign_settings& settings) {
  return fmt::format("\u00b1{:g} at {:g}% confidence", settings.margin_of_error,
                     100.0 * settings.confidence_level);
}

std::string page_css() {
  return std::string(detail::page_base_css()) + R"(th, td { text-align: left; }
td.id { overflow-wrap: anywhere; max-width: 40em; }
.status-finished { color: #2e7d32; font-weight: 600; }
.status-labelling { color: #b36b00; font-weight: 600; }
.note { color: #555; }
)";
}

std::string status_class(const campaign::set_progress& set) {
  if (set.positives == 0) return "empty";
  return set.finished() ? "finished" : "labelling";
}

// ---------------------------------------------------------------------------------------------
// Times. The store writes ISO 8601 UTC (2026-11-23T18:41:07.123Z); offsets are accepted too so
// that labels imported by other tools still chart.

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool leap_year(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// Seconds since 1970-01-01T00:00:00Z of YYYY-MM-DD(T| )HH:MM:SS[.fraction][Z|(+|-)HH[:]MM];
// no zone means UTC. std::nullopt for anything else.
std::optional<double> parse_utc_seconds(std::string_view text) {
  std::size_t at = 0;
  auto number = [&](std::size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    at += count;
    return value;
  };
  auto expect = [&](std::string_view allowed) {
    if (at >= text.size() || allowed.find(text[at]) == std::string_view::npos) return false;
    ++at;
    return true;
  };
  const auto year = number(4);
  if (!year || !expect("-")) return std::nullopt;
  const auto month = number(2);
  if (!month || !expect("-")) return std::nullopt;
  const auto day = number(2);
  if (!day || !expect("Tt ")) return std::nullopt;
  const auto hour = number(2);
  if (!hour || !expect(":")) return std::nullopt;
  const auto minute = number(2);
  if (!minute || !expect(":")) return std::nullopt;
  const auto second = number(2);
  if (!second) return std::nullopt;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*month < 1 || *month > 12 || *day < 1 ||
      *day > month_days[*month - 1] + (*month == 2 && leap_year(*year)) || *hour > 23 ||
      *minute > 59 || *second > 60)
    return std::nullopt;
  double fraction = 0.0;
  if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
    ++at;
    double scale = 0.1;
    const std::size_t first_digit = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += scale * (text[at] - '0');
      scale /= 10.0;
      ++at;
    }
    if (at == first_digit) return std::nullopt;
  }
  int offset_minutes = 0;
  if (at < text.size()) {
    if (text[at] == 'Z' || text[at] == 'z') {
      ++at;
    } else if (text[at] == '+' || text[at] == '-') {
      const int sign = text[at] == '-' ? -1 : 1;
      ++at;
      const auto offset_hours = number(2);
      if (!offset_hours) return std::nullopt;
      if (at < text.size() && text[at] == ':') ++at;
      const auto offset_rest = number(2);
      if (!offset_rest || *offset_hours > 23 || *offset_rest > 59) return std::nullopt;
      offset_minutes = sign * (*offset_hours * 60 + *offset_rest);
    }
  }
  if (at != text.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  return static_cast<double>(days) * 86400.0 + *hour * 3600.0 + *minute * 60.0 + *second +
         fraction - offset_minutes * 60.0;
}

struct time_unit {
  std::string_view name;
  double seconds;
};

// The unit that keeps the axis numbers small: a campaign can last seconds (simulated labels)
// or months.
time_unit unit_for_span(double seconds) {
  if (seconds < 120.0) return {"seconds", 1.0};
  if (seconds < 2.0 * 3600.0) return {"minutes", 60.0};
  if (seconds < 2.0 * 86400.0) return {"hours", 3600.0};
  return {"days", 86400.0};
}

// ---------------------------------------------------------------------------------------------
// Sections, in page order.

std::string page_start(const campaign::store& campaign) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>frugal campaign report: {}</title>\n<style>\n{}{}</style>\n</head>\n<body>\n",
      escape_html(campaign.path()), page_css(), detail::chart_css());
}

std::string header_section(const campaign::store& campaign, const campaign::campaign_state& state) {
  const campaign::campaign_settings& settings = campaign.settings();
  std::string metrics;
  for (const std::string& metric : settings.metrics)
    metrics += (metrics.empty() ? "" : ", ") + metric;
  auto fact = [](std::string_view term, std::string_view escaped_value) {
    return fmt::format("<dt>{}</dt><dd>{}</dd>\n", term, escaped_value);
  };
  std::string out = "<header>\n<h1>Campaign report</h1>\n<dl class=\"facts\">\n";
  out += fact("Campaign file", escape_html(campaign.path()));
  out += fact("Predictions", escape_html(settings.predictions));
  out += fact("Items", grouped(state.items));
  out += fact("Ensemble rule", escape_html(settings.ensemble));
  out += fact("Target", escape_html(target_text(settings)));
  out += fact("Metrics", escape_html(metrics));
  out += fact("Seed", fmt::format("{}", settings.seed));
  out += fact("Created", escape_html(settings.created_at));
  out += fact("State", state.finished
                           ? "<span class=\"status-finished\">finished</span>: every set met "
                             "its target"
                           : "<span class=\"status-labelling\">still labelling</span>");
  return out + "</dl>\n</header>\n";
}

// One set as a row of the interval chart.
detail::interval_row chart_row(const campaign::set_progress& set) {
  detail::interval_row row;
  row.label = set.name;
  row.css_class = status_class(set);
  if (set.positives == 0) {
    row.note = "no positives";
    return row;
  }
  row.lower = set.interval.lower;
  row.point = set.precision;
  row.upper = set.interval.upper;
  row.note = set.finished() ? fmt::format("finished at {}", grouped(*set.finished_after))
                            : fmt::format("labelling, {} labels", grouped(set.labelled));
  return row;
}

// One set as a row of the precision table.
std::string table_row(const campaign::set_progress& set) {
  if (set.positives == 0)
    return fmt::format(
        "<tr><td>{}</td><td>no positives</td><td class=\"number\">0</td>"
        "<td class=\"number\">0</td><td class=\"number\">-</td><td class=\"number\">-</td>"
        "<td class=\"number\">-</td><td class=\"number\">-</td></tr>\n",
        escape_html(set.name));
  return fmt::format(
      "<tr><td>{}</td><td class=\"status-{}\">{}</td><td class=\"number\">{}</td>"
      "<td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
      "<td class=\"number\">\u00b1{}</td><td class=\"number\">{}</td></tr>\n",
      escape_html(set.name), status_class(set), escape_html(set.status), grouped(set.positives),
      grouped(set.labelled), fixed4(set.precision), interval_text(set.interval),
      fixed4(set.interval.half_width()),
      set.finished() ? grouped(*set.finished_after) : std::string("-"));
}

std::string precision_section(const campaign::store& campaign,
                              const campaign::campaign_state& state) {
  const campaign::campaign_settings& settings = campaign.settings();
  std::vector<detail::interval_row> rows;
  std::string table =
      "<table class=\"sets\">\n<thead><tr><th>set</th><th>status</th>"
      "<th class=\"number\">positives</th><th class=\"number\">labels used</th>"
      "<th class=\"number\">precision</th><th class=\"number\">interval</th>"
      "<th class=\"number\">half-width</th><th class=\"number\">finished after</th></tr></thead>\n"
      "<tbody>\n";
  for (const campaign::set_progress& set : state.sets) {
    rows.push_back(chart_row(set));
    table += table_row(set);
  }
  table += "</tbody>\n</table>\n";

  detail::interval_chart_options options;
  options.title = "Precision of each set with its interval";
  options.target_half_width = settings.margin_of_error;
  // Zoom to the tenths that hold the intervals and target bands: precisions often all sit
  // above 0.8, where a [0, 1] axis would squeeze them into a corner.
  double lowest = 1.0, highest = 0.0;
  for (const detail::interval_row& row : rows) {
    if (!row.point) continue;
    lowest = std::min({lowest, *row.lower, *row.point - settings.margin_of_error});
    highest = std::max({highest, *row.upper, *row.point + settings.margin_of_error});
  }
  if (lowest < highest) {
    options.domain_low = std::max(0.0, std::floor(lowest * 10.0 + 1e-9) / 10.0);
    options.domain_high = std::min(1.0, std::ceil(highest * 10.0 - 1e-9) / 10.0);
  }
  options.axis_label = "precision";
  std::string out = "<section id=\"precision\">\n<h2>Precision per set</h2>\n";
  out += fmt::format(
      "<p>Target margin: each set's interval half-width at most {}. The intervals come from a "
      "betting confidence sequence, valid whenever labelling stops. In the chart, finished sets "
      "are green and sets still labelling orange; the light band around each estimate is the "
      "width the interval must shrink to.</p>\n",
      escape_html(target_text(settings)));
  if (!rows.empty()) out += detail::interval_chart(rows, options);
  return out + table + "</section>\n";
}

std::string labels_section(const campaign::campaign_state& state) {
  const double independent = state.independent_expected;
  std::string out = "<section id=\"labels\">\n<h2>Labels used</h2>\n";
  out += fmt::format(
      "<p>{} distinct items labelled ({} label records). A fixed-n coordinated plan would label "
      "{} items, independent sampling about {}, and labelling each set's fixed-n sample "
      "separately (the naive sum) {}.",
      grouped(state.distinct_labelled), grouped(state.label_records),
      grouped(state.fixed_n_coordinated),
      grouped(static_cast<std::size_t>(std::lround(independent))), grouped(state.naive_sum));
  if (state.fixed_n_coordinated > 0) {
    const double saved = 1.0 - static_cast<double>(state.distinct_labelled) /
                                   static_cast<double>(state.fixed_n_coordinated);
    out += saved >= 0.0
               ? fmt::format(" So far {} fewer than the fixed-n coordinated plan.", percent(saved))
               : fmt::format(" So far {} more than the fixed-n coordinated plan.", percent(-saved));
  }
  if (!state.finished) out += " The campaign is still labelling, so these counts will grow.";
  out += "</p>\n";

  std::vector<detail::bar> bars = {
      {"labelled so far", static_cast<double>(state.distinct_labelled),
       grouped(state.distinct_labelled), "used"},
      {"fixed-n coordinated", static_cast<double>(state.fixed_n_coordinated),
       grouped(state.fixed_n_coordinated), "plan"},
      {"independent (expected)", independent, fmt::format("{:.1f}", independent), "plan"},
      {"naive sum", static_cast<double>(state.naive_sum), grouped(state.naive_sum), "plan"},
  };
  detail::bar_chart_options options;
  options.title = "Distinct labels: this campaign against fixed-n plans";
  options.axis_label = "distinct items labelled";
  out += detail::bar_chart(bars, options);

  out +=
      "<table class=\"plans\">\n<thead><tr><th>plan</th><th class=\"number\">distinct labels"
      "</th></tr></thead>\n<tbody>\n";
  for (const detail::bar& item : bars)
    out += fmt::format("<tr><td>{}</td><td class=\"number\">{}</td></tr>\n",
                       escape_html(item.label), escape_html(item.value_text));
  out += "</tbody>\n</table>\n";

  // Per set: a sequential set may stop before its fixed-n sample size (or need more when its
  // precision is near 1/2), which is where the savings come from.
  out +=
      "<table class=\"per-set\">\n<thead><tr><th>set</th><th class=\"number\">labels used</th>"
      "<th class=\"number\">fixed-n sample size</th><th class=\"number\">used / fixed-n</th>"
      "</tr></thead>\n<tbody>\n";
  for (const campaign::set_progress& set : state.sets)
    out += fmt::format(
        "<tr><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td></tr>\n",
        escape_html(set.name), grouped(set.labelled), grouped(set.fixed_sample_size),
        set.fixed_sample_size > 0 ? percent(static_cast<double>(set.labelled) /
                                            static_cast<double>(set.fixed_sample_size))
                                  : std::string("-"));
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string timeline_section(const std::vector<campaign::label_record>& labels) {
  std::string out = "<section id=\"timeline\">\n<h2>Labels over time</h2>\n";
  std::vector<std::pair<double, const campaign::label_record*>> timed;
  for (const campaign::label_record& record : labels)
    if (const auto seconds = parse_utc_seconds(record.labelled_at))
      timed.emplace_back(*seconds, &record);
  const std::size_t unreadable = labels.size() - timed.size();
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  // Cumulative distinct items, one point per distinct time (records of one import share it).
  std::vector<std::pair<double, std::size_t>> steps;
  std::unordered_set<std::string_view> seen;
  for (const auto& [seconds, record] : timed) {
    seen.insert(record->id);
    if (!steps.empty() && steps.back().first == seconds)
      steps.back().second = seen.size();
    else
      steps.emplace_back(seconds, seen.size());
  }

  if (labels.empty()) {
    out += "<p>No labels yet: nothing to chart.</p>\n";
  } else if (steps.empty()) {
    out += "<p>No label has a readable time, so there is nothing to chart.</p>\n";
  } else if (steps.size() == 1) {
    out += fmt::format(
        "<p>All {} timed label records ({} distinct items) were stored at one time, {}; a "
        "chart needs at least two.</p>\n",
        grouped(timed.size()), grouped(steps.front().second),
        escape_html(timed.front().second->labelled_at));
  } else {
    const double start = steps.front().first;
    const time_unit unit = unit_for_span(steps.back().first - start);
    // Start from zero at the first time so the first import shows as a jump, like the others.
    std::vector<detail::point> points = {{0.0, 0.0}};
    for (const auto& [seconds, count] : steps)
      points.push_back({(seconds - start) / unit.seconds, static_cast<double>(count)});
    detail::line_chart_options options;
    options.title = "Cumulative distinct items labelled over time";
    options.x_label = fmt::format("{} since the first label", unit.name);
    options.y_label = "distinct items labelled";
    options.step = true;
    options.integer_y = true;
    out += fmt::format(
        "<p>{} distinct items labelled between {} and {} (UTC), in {} stored batches.</p>\n",
        grouped(steps.back().second), escape_html(timed.front().second->labelled_at),
        escape_html(timed.back().second->labelled_at), grouped(steps.size()));
    out += detail::line_chart(points, options);
  }
  if (unreadable > 0)
    out += fmt::format(
        "<p class=\"note\">{} label records have no readable time and are left "
        "out of the chart.</p>\n",
        grouped(unreadable));
  return out + "</section>\n";
}

std::string ratio_cells(const campaign::ratio_estimate& estimate) {
  if (!estimate.defined)
    return fmt::format("<td class=\"number\">-</td><td class=\"number\">-</td><td>{}</td>",
                       escape_html(estimate.status));
  return fmt::format("<td class=\"number\">{}</td><td class=\"number\">{}</td><td>{}</td>",
                     fixed4(estimate.value), interval_text(estimate.interval),
                     escape_html(estimate.status));
}

std::string recall_section(const campaign::campaign_state& state) {
  std::string out = "<section id=\"recall\">\n<h2>Recall and F1</h2>\n";
  out +=
      "<p>Stratified ratio estimates from fixed-size samples of the strata below (items grouped "
      "by how many members voted yes): Wilson intervals at the Korn &amp; Graubard effective "
      "sample size. These intervals are not sequential.</p>\n";
  out +=
      "<table class=\"recall\">\n<thead><tr><th>set</th><th class=\"number\">recall</th>"
      "<th class=\"number\">interval</th><th>status</th><th class=\"number\">F1</th>"
      "<th class=\"number\">interval</th><th>status</th></tr></thead>\n<tbody>\n";
  for (std::size_t s = 0; s < state.sets.size(); ++s) {
    out += "<tr><td>" + escape_html(state.sets[s].name) + "</td>";
    out += s < state.recall.size() ? ratio_cells(state.recall[s]) : ratio_cells({});
    out += s < state.f1.size() ? ratio_cells(state.f1[s]) : ratio_cells({});
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  out +=
      "<table class=\"strata\">\n<thead><tr><th class=\"number\">votes</th>"
      "<th class=\"number\">items</th><th class=\"number\">sample size</th>"
      "<th class=\"number\">labelled</th><th class=\"number\">labelled 1</th></tr></thead>\n"
      "<tbody>\n";
  for (const campaign::stratum_progress& stratum : state.strata)
    out += fmt::format(
        "<tr><td class=\"number\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td></tr>\n",
        stratum.votes, grouped(stratum.items), grouped(stratum.sample_size),
        grouped(stratum.labelled), grouped(stratum.true_items));
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string kappa_text(double kappa) {
  return fmt::format("{:.3f}", kappa);
}

std::string optional_text(const std::optional<double>& value, std::string (*format)(double),
                          std::string_view undefined) {
  return value ? format(*value) : std::string(undefined);
}

std::string annotators_section(const campaign::campaign_state& state) {
  std::string out = "<section id=\"annotators\">\n<h2>Annotators</h2>\n<dl class=\"facts\">\n";
  out += fmt::format("<dt>Annotators</dt><dd>{}</dd>\n", grouped(state.annotators));
  out += fmt::format("<dt>Label records</dt><dd>{}</dd>\n", grouped(state.label_records));
  out += fmt::format(
      "<dt>Items labelled more than once</dt><dd>{} (the agreement figures below rest on them; "
      "they are point estimates, without an interval)</dd>\n",
      grouped(state.multiply_labelled_items));
  out += fmt::format(
      "<dt>Observed agreement</dt><dd>{}</dd>\n",
      optional_text(state.observed_agreement, percent, "not defined: no item labelled twice"));
  out += fmt::format(
      "<dt>Fleiss&#39; kappa</dt><dd>{}</dd>\n",
      optional_text(state.fleiss_kappa, kappa_text,
                    "not defined (fewer than two items labelled twice, or no variation)"));
  out += fmt::format(
      "<dt>Cohen&#39;s kappa</dt><dd>{}</dd>\n",
      optional_text(state.cohen_kappa, kappa_text,
                    state.annotators == 2 ? "not defined (too few items both labelled, or no "
                                            "variation)"
                                          : "only with exactly two annotators"));
  out += "</dl>\n";

  if (state.disagreements.empty()) {
    out += "<p>No item has disagreeing labels.</p>\n";
    return out + "</section>\n";
  }
  const std::size_t shown = std::min(state.disagreements.size(), max_disagreements_listed);
  out += fmt::format(
      "<p>{} items whose annotators disagree; a tie leaves the item unresolved until another "
      "label breaks it.</p>\n",
      grouped(state.disagreements.size()));
  out +=
      "<table class=\"disagreements\">\n<thead><tr><th>id</th><th class=\"number\">said 1</th>"
      "<th class=\"number\">said 0</th><th>tie</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const campaign::disagreement& item = state.disagreements[i];
    out += fmt::format(
        "<tr><td class=\"id\">{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td>{}</td></tr>\n",
        escape_html(item.id), item.ones, item.zeros, item.tied() ? "tie" : "");
  }
  out += "</tbody>\n</table>\n";
  if (state.disagreements.size() > shown)
    out += fmt::format(
        "<p class=\"note\">\u2026 and {} more (all are listed by <code>frugal status "
        "--json</code>)."
        "</p>\n",
        grouped(state.disagreements.size() - shown));
  return out + "</section>\n";
}

}  // namespace

std::string campaign_report_html(const campaign::store& campaign,
                                 const campaign::campaign_state& state,
                                 const std::vector<campaign::label_record>& labels) {
  std::string page = page_start(campaign);
  page += header_section(campaign, state);
  page += "<main>\n";
  page += precision_section(campaign, state);
  page += labels_section(state);
  page += timeline_section(labels);
  if (!state.strata.empty()) page += recall_section(state);
  page += annotators_section(state);
  page += "</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace frugal::report
