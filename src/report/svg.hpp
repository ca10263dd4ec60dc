#pragma once
// Inline SVG charts for the HTML reports (private to the library). Every function returns one
// complete <svg>...</svg> element meant to sit inside an HTML5 page: no xmlns (HTML5 parsers do
// not need it, and the page must not contain any URL), no script, no external font. The charts
// draw with CSS classes, whose rules `chart_css()` returns for the page's <style>.
//
// Coordinates: a chart is `width` x `height` user units (its viewBox), the plot area is inset
// by the margins; values are mapped linearly, y growing upwards. All text from data is
// HTML-escaped here, so callers pass plain strings.
#include <fmt/format.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::report::detail {

/// `text` with &, <, >, " and ' replaced by character references: safe in element content and
/// in attribute values, in HTML and in inline SVG.
std::string escape_html(std::string_view text);

/// 1234567 -> "1,234,567".
std::string grouped(std::size_t value);

/// The CSS rules every report page starts with: body, headings, the facts list and tables.
std::string_view page_base_css();

/// The CSS rules for the classes the charts use.
std::string_view chart_css();

/// Maps [domain_low, domain_high] onto [range_low, range_high]; a zero-width domain maps to the
/// middle of the range.
class linear_scale {
 public:
  linear_scale(double domain_low, double domain_high, double range_low, double range_high);
  double operator()(double value) const noexcept;

 private:
  double domain_low_, domain_high_, range_low_, range_high_;
};

/// Round tick values (steps of 1, 2 or 5 times a power of ten, at least `minimum_step`) covering
/// [low, high] with about `target_count` intervals; the first tick is <= low, the last >= high.
std::vector<double> nice_ticks(double low, double high, std::size_t target_count,
                               double minimum_step = 0.0);

using tick_format = std::function<std::string(double)>;

/// "{:g}" of the value.
std::string default_tick_format(double value);

// ---------------------------------------------------------------------------------------------
// Horizontal interval bars: one row per item, a bar from lower to upper with the point marked.

struct interval_row {
  std::string label;
  /// Unset: the row shows its label and note only (e.g. a set with no positives).
  std::optional<double> lower, point, upper;
  std::string css_class;  ///< added to the row's <g>, e.g. "finished" or "labelling"
  std::string note;       ///< printed right of the plot area
};

struct interval_chart_options {
  std::string title;  ///< the chart's accessible <title>
  double domain_low = 0.0;
  double domain_high = 1.0;
  /// When set, a light band of this half-width is drawn around each point: the width the
  /// interval must shrink to.
  std::optional<double> target_half_width;
  std::string axis_label;
  tick_format format = default_tick_format;
  /// For the values in each row's tooltip.
  tick_format value_format = [](double value) { return fmt::format("{:.4f}", value); };
  double width = 760.0;
  double row_height = 26.0;
};

std::string interval_chart(const std::vector<interval_row>& rows,
                           const interval_chart_options& options);

// ---------------------------------------------------------------------------------------------
// Horizontal bars from zero, one row per value, the value printed after the bar.

struct bar {
  std::string label;
  double value = 0.0;
  std::string value_text;  ///< printed after the bar; default_tick_format(value) when empty
  std::string css_class;
};

struct bar_chart_options {
  std::string title;
  std::string axis_label;
  tick_format format = default_tick_format;
  double width = 760.0;
  double row_height = 30.0;
};

std::string bar_chart(const std::vector<bar>& bars, const bar_chart_options& options);

// ---------------------------------------------------------------------------------------------
// A line or step chart of one series with x and y axes.

struct point {
  double x = 0.0;
  double y = 0.0;
};

struct line_chart_options {
  std::string title;
  std::string x_label;
  std::string y_label;
  tick_format x_format = default_tick_format;
  tick_format y_format = default_tick_format;
  /// Step: the value holds until the next point, then jumps (a count over time).
  bool step = false;
  /// Whole-number y ticks only (counts).
  bool integer_y = false;
  double width = 760.0;
  double height = 300.0;
};

/// `points` in ascending x; at least one. The y axis starts at 0.
std::string line_chart(const std::vector<point>& points, const line_chart_options& options);

// ---------------------------------------------------------------------------------------------
// Several series of labelled points, each joined in the given order, with a legend: a trade-off
// curve per method (e.g. error rate against negative flip rate while a weight is swept).

struct labelled_point {
  double x = 0.0;
  double y = 0.0;
  std::string label;  ///< printed beside the point (e.g. the weight); may be empty
};

struct point_series {
  std::string name;  ///< in the legend
  std::vector<labelled_point> points;
};

struct scatter_chart_options {
  std::string title;
  std::string x_label;
  std::string y_label;
  tick_format x_format = default_tick_format;
  tick_format y_format = default_tick_format;
  double width = 760.0;
  double height = 420.0;
};

/// At least one point over all series; both axes span the data (not from 0). Series are drawn
/// with the CSS classes series-0, series-1, ... (eight colours, then repeating).
std::string scatter_chart(const std::vector<point_series>& series,
                          const scatter_chart_options& options);

/// A chart from one of the functions above as a standalone .svg document: the SVG namespace and
/// the chart rules of chart_css() inlined, so it renders on its own (e.g. in a README).
std::string standalone_svg(std::string_view chart);

}  // namespace frugal::report::detail
