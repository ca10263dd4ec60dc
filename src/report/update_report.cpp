#include "frugal/report/update_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include "report/svg.hpp"

namespace frugal::report {
namespace {

using detail::escape_html;
using detail::grouped;

// Beyond this the table stops being something a reader scans, and the page grows past what a
// browser opens comfortably.
constexpr std::size_t max_flipped_listed = 1000;
// Bars beyond this make the chart taller than a screen; the table below it lists every class.
constexpr std::size_t max_class_bars = 40;
// An item's content is cut at this many characters in the table so one long text does not
// swamp it.
constexpr std::size_t max_content_chars = 300;

std::string fixed4(double value) {
  return fmt::format("{:.4f}", value);
}

std::string percent(double share) {
  return fmt::format("{:.1f}%", 100.0 * share);
}

std::string precise_percent(double share) {
  return fmt::format("{:.2f}%", 100.0 * share);
}

// A NaN or infinity is as good as unset for drawing: it has no place on an axis.
std::optional<double> finite(const std::optional<double>& value) {
  if (value && std::isfinite(*value)) return value;
  return std::nullopt;
}

std::string interval_text(const update_report_value& value) {
  if (!value.lower || !value.upper) return "-";
  return fmt::format("[{}, {}]", fixed4(*value.lower), fixed4(*value.upper));
}

// Why a value is missing, for a reader: "not estimated", with the note when there is one.
std::string unset_text(const update_report_value& value) {
  return value.note.empty() ? std::string("not estimated") : "not estimated: " + value.note;
}

// A count that is whole when counted and fractional when estimated from a sample.
std::string count_text(double count) {
  if (std::isfinite(count) && count >= 0.0 && count == std::floor(count) && count < 1e15)
    return grouped(static_cast<std::size_t>(count));
  return fmt::format("{:.1f}", count);
}

// The first `limit` code points and an ellipsis when `text` is longer, cut on a character
// boundary so the UTF-8 stays valid.
std::string cut(std::string_view text, std::size_t limit) {
  std::size_t seen = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) continue;
    if (seen++ == limit) return std::string(text.substr(0, at)) + "\u2026";
  }
  return std::string(text);
}

std::string page_css() {
  return std::string(detail::page_base_css()) + R"(th, td { text-align: left; vertical-align: top; }
td.id { overflow-wrap: anywhere; max-width: 16em; }
td.content { overflow-wrap: anywhere; max-width: 30em; }
.negative-flip { color: #c62828; font-weight: 600; }
.positive-flip { color: #2e7d32; font-weight: 600; }
.unset { color: #777; font-style: italic; }
.note, .caption { color: #555; }
svg.chart .negative .interval { stroke: #c62828; }
svg.chart .positive .interval { stroke: #2e7d32; }
svg.chart .both .interval { stroke: #777; }
svg.chart .negative rect.bar { fill: #c97b7b; }
)";
}

// ---------------------------------------------------------------------------------------------
// Sections, in page order.

std::string page_title(const update_report_input& input) {
  return input.title.empty() ? std::string("Model update report") : input.title;
}

std::string page_start(const update_report_input& input) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>frugal update report: {}</title>\n<style>\n{}{}</style>\n</head>\n<body>\n",
      escape_html(page_title(input)), page_css(), detail::chart_css());
}

std::string header_section(const update_report_input& input) {
  auto fact = [](std::string_view term, std::string_view escaped_value) {
    return fmt::format("<dt>{}</dt><dd>{}</dd>\n", term, escaped_value);
  };
  auto source = [](const std::string& name) {
    return name.empty() ? std::string("<span class=\"unset\">none</span>") : escape_html(name);
  };
  std::string out =
      fmt::format("<header>\n<h1>{}</h1>\n<dl class=\"facts\">\n", escape_html(page_title(input)));
  out += fact("Old model", source(input.old_source));
  out += fact("New model", source(input.new_source));
  out += fact("Labels", source(input.labels_source));
  out += fact("Items", grouped(input.items));
  out += fact("Labelled items", grouped(input.labelled));
  std::string churn = grouped(input.disagreements);
  if (input.items > 0)
    churn += fmt::format(" ({} of the items)", percent(static_cast<double>(input.disagreements) /
                                                       static_cast<double>(input.items)));
  out += fact("Disagreements (churn)", churn);
  out += fact("Confidence", fmt::format("{:g}%", 100.0 * input.confidence));
  out +=
      fact("Figures from",
           input.sampled ? "a disagreement sample: labels for a sample of the items, so counts and "
                           "shares are estimates"
                         : "a fully labelled set: every item counted has its true class");
  if (input.certificate) out += fact("Certificate", escape_html(*input.certificate));
  if (input.gate) out += fact("Gate", fmt::format("<strong>{}</strong>", escape_html(*input.gate)));
  return out + "</dl>\n</header>\n";
}

struct region {
  std::string_view label;
  std::string_view css_class;
  const update_report_value* value;
};

std::string regions_section(const update_report_input& input) {
  const std::vector<region> regions = {
      {"both wrong", "both", &input.both_wrong},
      {"only old wrong (positive flips)", "positive", &input.only_old_wrong},
      {"only new wrong (negative flips)", "negative", &input.only_new_wrong},
  };
  std::string out = "<section id=\"regions\">\n<h2>Error regions</h2>\n";
  out += fmt::format(
      "<p>Each region as a share of all items, with its {:g}% interval. Positive flips are "
      "errors the update fixes (only the old model is wrong); negative flips are errors it "
      "introduces (only the new model is wrong).</p>\n",
      100.0 * input.confidence);

  std::vector<detail::interval_row> rows;
  double highest = 0.0;
  for (const region& item : regions) {
    const update_report_value& value = *item.value;
    detail::interval_row row;
    row.label = std::string(item.label);
    row.css_class = std::string(item.css_class);
    if (const auto point = finite(value.value)) {
      // A value without an interval is drawn as a point.
      row.point = point;
      row.lower = finite(value.lower).value_or(*point);
      row.upper = finite(value.upper).value_or(*point);
      // Percentages here: the tooltip already carries the four-decimal figures.
      row.note = value.lower && value.upper
                     ? fmt::format("{} [{}, {}]", precise_percent(*point),
                                   precise_percent(*value.lower), precise_percent(*value.upper))
                     : precise_percent(*point);
      highest = std::max({highest, *row.point, *row.upper});
    } else {
      row.note = "not estimated";
    }
    rows.push_back(std::move(row));
  }
  detail::interval_chart_options options;
  options.title = "Error regions as shares of all items, with their intervals";
  options.axis_label = "share of all items";
  // Zoom to the largest interval: the regions are often a few percent, which a [0, 1] axis
  // would squeeze against its left end.
  options.domain_high = highest > 0.0 ? std::min(1.0, highest * 1.1) : 1.0;
  out += detail::interval_chart(rows, options);

  out +=
      "<table class=\"regions\">\n<thead><tr><th>region</th><th class=\"number\">share</th>"
      "<th class=\"number\">interval</th><th>note</th></tr></thead>\n<tbody>\n";
  for (const region& item : regions) {
    const update_report_value& value = *item.value;
    if (value.value)
      out += fmt::format(
          "<tr class=\"{}\"><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
          "<td>{}</td></tr>\n",
          item.css_class, escape_html(item.label), fixed4(*value.value), interval_text(value),
          escape_html(value.note));
    else
      out += fmt::format(
          "<tr class=\"{}\"><td>{}</td><td class=\"unset\" colspan=\"3\">{}</td></tr>\n",
          item.css_class, escape_html(item.label), escape_html(unset_text(value)));
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string metrics_section(const update_report_input& input) {
  std::string out = "<section id=\"metrics\">\n<h2>Metrics</h2>\n";
  if (input.metrics.empty()) return out + "<p>No metrics.</p>\n</section>\n";
  out +=
      fmt::format("<p>Point estimates with their {:g}% intervals.</p>\n", 100.0 * input.confidence);
  out +=
      "<table class=\"metrics\">\n<thead><tr><th>metric</th><th class=\"number\">value</th>"
      "<th class=\"number\">interval</th><th>note</th></tr></thead>\n<tbody>\n";
  for (const update_report_value& metric : input.metrics) {
    if (metric.value)
      out += fmt::format(
          "<tr><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td><td>{}</td>"
          "</tr>\n",
          escape_html(metric.name), fixed4(*metric.value), interval_text(metric),
          escape_html(metric.note));
    else
      out += fmt::format("<tr><td>{}</td><td class=\"unset\" colspan=\"3\">{}</td></tr>\n",
                         escape_html(metric.name), escape_html(unset_text(metric)));
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string classes_section(const update_report_input& input) {
  std::string out = "<section id=\"classes\">\n<h2>Negative flips per class</h2>\n";
  if (!input.classes_basis.empty())
    out += fmt::format("<p class=\"caption\">Classes: {}.</p>\n", escape_html(input.classes_basis));
  if (input.classes.empty()) return out + "<p>No per-class figures.</p>\n</section>\n";

  // The chart shows the classes with flips, most first; the table lists every class.
  std::vector<const update_report_class*> flipped;
  for (const update_report_class& group : input.classes)
    if (std::isfinite(group.negative_flips) && group.negative_flips > 0.0)
      flipped.push_back(&group);
  std::stable_sort(flipped.begin(), flipped.end(), [](const auto* a, const auto* b) {
    return a->negative_flips > b->negative_flips;
  });
  if (flipped.empty()) {
    out += "<p>No class has a negative flip.</p>\n";
  } else {
    const std::size_t shown = std::min(flipped.size(), max_class_bars);
    std::vector<detail::bar> bars;
    for (std::size_t i = 0; i < shown; ++i)
      bars.push_back({flipped[i]->name, flipped[i]->negative_flips,
                      count_text(flipped[i]->negative_flips), "negative"});
    detail::bar_chart_options options;
    options.title = "Negative flips per class";
    options.axis_label = input.sampled ? "negative flips (estimated)" : "negative flips";
    out += detail::bar_chart(bars, options);
    if (flipped.size() > shown)
      out += fmt::format(
          "<p class=\"note\">The chart shows the {} classes with the most negative flips; {} "
          "more with flips are in the table.</p>\n",
          grouped(shown), grouped(flipped.size() - shown));
  }

  out +=
      "<table class=\"classes\">\n<thead><tr><th>class</th><th class=\"number\">items</th>"
      "<th class=\"number\">negative flips</th><th class=\"number\">NFR</th>"
      "<th class=\"number\">interval</th></tr></thead>\n<tbody>\n";
  for (const update_report_class& group : input.classes) {
    const std::string interval =
        group.lower && group.upper
            ? fmt::format("[{}, {}]", fixed4(*group.lower), fixed4(*group.upper))
            : std::string("-");
    out += fmt::format(
        "<tr><td>{}</td><td class=\"number\">{}</td><td class=\"number\">{}</td>"
        "<td class=\"number\">{}</td><td class=\"number\">{}</td></tr>\n",
        escape_html(group.name), grouped(group.items), count_text(group.negative_flips),
        group.nfr ? fixed4(*group.nfr) : std::string("-"), interval);
  }
  return out + "</tbody>\n</table>\n</section>\n";
}

std::string flipped_section(const update_report_input& input) {
  std::string out = "<section id=\"flipped\">\n<h2>Flipped items</h2>\n";
  if (input.flipped.empty()) return out + "<p>No flipped items.</p>\n</section>\n";
  const auto negatives = static_cast<std::size_t>(
      std::count_if(input.flipped.begin(), input.flipped.end(),
                    [](const update_report_item& item) { return item.negative; }));
  out += fmt::format(
      "<p>{} flipped {}: {} negative (the old model was right, the new one is wrong) and {} "
      "positive (the old model was wrong, the new one is right). Content is cut at {} "
      "characters.</p>\n",
      grouped(input.flipped.size()), input.flipped.size() == 1 ? "item" : "items",
      grouped(negatives), grouped(input.flipped.size() - negatives), max_content_chars);
  const std::size_t shown = std::min(input.flipped.size(), max_flipped_listed);
  out +=
      "<table class=\"flipped\">\n<thead><tr><th>flip</th><th>id</th><th>old prediction</th>"
      "<th>new prediction</th><th>true class</th><th>content</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const update_report_item& item = input.flipped[i];
    out += fmt::format(
        "<tr><td class=\"{}\">{}</td><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td class=\"content\">{}</td></tr>\n",
        item.negative ? "negative-flip" : "positive-flip", item.negative ? "negative" : "positive",
        escape_html(item.id), escape_html(item.old_prediction), escape_html(item.new_prediction),
        escape_html(item.true_class), escape_html(cut(item.content, max_content_chars)));
  }
  out += "</tbody>\n</table>\n";
  if (input.flipped.size() > shown)
    out += fmt::format(
        "<p class=\"note\">\u2026 and {} more flipped items left out of this table (it shows "
        "the first {}).</p>\n",
        grouped(input.flipped.size() - shown), grouped(shown));
  return out + "</section>\n";
}

}  // namespace

std::string update_report_html(const update_report_input& input) {
  std::string page = page_start(input);
  page += header_section(input);
  page += "<main>\n";
  page += regions_section(input);
  page += metrics_section(input);
  page += classes_section(input);
  page += flipped_section(input);
  page += "</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace frugal::report
