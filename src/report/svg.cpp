#include "report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "frugal/error.hpp"

namespace frugal::report::detail {
namespace {

// A rough width of one character of the chart font (12px sans-serif): used to size the margins
// that hold labels, since an SVG cannot measure its own text without a script.
constexpr double char_width = 7.0;
// Labels longer than this are cut (the full text stays in the row's tooltip).
constexpr std::size_t max_label_chars = 32;

// Length in code points: continuation bytes 10xxxxxx do not start a character.
std::size_t display_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first max_label_chars - 1 code points and an ellipsis, cut on a character boundary so the
// UTF-8 stays valid.
std::string shortened(std::string_view text) {
  if (display_length(text) <= max_label_chars) return std::string(text);
  std::size_t seen = 0, end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) continue;
    if (seen++ == max_label_chars - 1) break;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

std::string number(double value) {
  return fmt::format("{:.1f}", value);
}

std::string svg_open(double width, double height, std::string_view title) {
  return fmt::format(
      "<svg class=\"chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\">"
      "<title>{}</title>\n",
      number(width), number(height), number(width), number(height), escape_html(title));
}

std::string text_element(double x, double y, std::string_view anchor, std::string_view css_class,
                         std::string_view content) {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" class=\"{}\">{}</text>\n",
                     number(x), number(y), anchor, css_class, escape_html(content));
}

// A horizontal value axis under the plot area [top, bottom], with vertical grid lines.
std::string horizontal_axis(const linear_scale& x, const std::vector<double>& ticks, double top,
                            double bottom, const tick_format& format, std::string_view label,
                            double label_x) {
  std::string out = "<g class=\"axis\">\n";
  for (const double tick : ticks) {
    const double at = x(tick);
    out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n",
                       number(at), number(top), number(bottom));
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", number(at),
                       number(bottom), number(bottom + 4));
    out += text_element(at, bottom + 16, "middle", "tick", format(tick));
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", number(x(ticks.front())),
                     number(bottom), number(x(ticks.back())), number(bottom));
  if (!label.empty()) out += text_element(label_x, bottom + 32, "middle", "axis-label", label);
  return out + "</g>\n";
}

// A vertical value axis left of the plot area [left, right], with horizontal grid lines.
std::string vertical_axis(const linear_scale& y, const std::vector<double>& ticks, double left,
                          double right, const tick_format& format, std::string_view label,
                          double label_y) {
  std::string out = "<g class=\"axis\">\n";
  for (const double tick : ticks) {
    const double at = y(tick);
    out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n",
                       number(left), number(at), number(right));
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", number(left - 4),
                       number(at), number(left));
    out += text_element(left - 7, at + 4, "end", "tick", format(tick));
  }
  out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", number(left),
                     number(y(ticks.front())), number(y(ticks.back())));
  if (!label.empty())
    out += fmt::format(
        "<text transform=\"translate({},{}) rotate(-90)\" text-anchor=\"middle\" "
        "class=\"axis-label\">{}</text>\n",
        number(14), number(label_y), escape_html(label));
  return out + "</g>\n";
}

// The width a column of labels needs, within [minimum, maximum].
template <typename Range, typename Text>
double column_width(const Range& rows, Text text, double minimum, double maximum) {
  std::size_t longest = 0;
  for (const auto& row : rows)
    longest = std::max(longest, std::min(display_length(text(row)), max_label_chars + 1));
  return std::clamp(static_cast<double>(longest) * char_width + 14.0, minimum, maximum);
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string grouped(std::size_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string_view page_base_css() {
  return R"(body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1.2em; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e3e3e3; }
th { background: #f4f4f4; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
)";
}

std::string_view chart_css() {
  return R"(svg.chart { display: block; max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.chart .axis line { stroke: #555; stroke-width: 1; }
svg.chart .axis line.grid { stroke: #e3e3e3; }
svg.chart text { fill: #222; }
svg.chart text.tick, svg.chart text.note { fill: #555; }
svg.chart text.axis-label { fill: #333; font-style: italic; }
svg.chart .target { fill: #dfe9f5; }
svg.chart .interval { stroke: #777; stroke-width: 5; stroke-linecap: round; }
svg.chart .point { fill: #222; }
svg.chart .finished .interval { stroke: #2e7d32; }
svg.chart .labelling .interval { stroke: #e08a00; }
svg.chart rect.bar { fill: #6b8fb8; }
svg.chart .used rect.bar { fill: #2e7d32; }
svg.chart path.series { fill: none; stroke: #1f5f9f; stroke-width: 2; }
svg.chart .series-0 { stroke: #1f5f9f; fill: #1f5f9f; }
svg.chart .series-1 { stroke: #c0392b; fill: #c0392b; }
svg.chart .series-2 { stroke: #2e7d32; fill: #2e7d32; }
svg.chart .series-3 { stroke: #e08a00; fill: #e08a00; }
svg.chart .series-4 { stroke: #6a3d9a; fill: #6a3d9a; }
svg.chart .series-5 { stroke: #00838f; fill: #00838f; }
svg.chart .series-6 { stroke: #8d6e63; fill: #8d6e63; }
svg.chart .series-7 { stroke: #555555; fill: #555555; }
svg.chart path.trace { fill: none; stroke-width: 1.5; }
svg.chart text.point-label { font-size: 10px; stroke: none; fill: #444; }
svg.chart text.legend { stroke: none; }
)";
}

linear_scale::linear_scale(double domain_low, double domain_high, double range_low,
                           double range_high)
    : domain_low_(domain_low),
      domain_high_(domain_high),
      range_low_(range_low),
      range_high_(range_high) {}

double linear_scale::operator()(double value) const noexcept {
  if (!(domain_high_ != domain_low_)) return (range_low_ + range_high_) / 2.0;
  return range_low_ +
         (value - domain_low_) / (domain_high_ - domain_low_) * (range_high_ - range_low_);
}

std::vector<double> nice_ticks(double low, double high, std::size_t target_count,
                               double minimum_step) {
  FRUGAL_ASSERT(std::isfinite(low) && std::isfinite(high) && target_count > 0);
  if (high < low) std::swap(low, high);
  if (high == low) high = low + std::max(1.0, minimum_step);
  const double raw = (high - low) / static_cast<double>(target_count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double residual = raw / magnitude;
  double step = residual <= 1.0 ? 1.0 : residual <= 2.0 ? 2.0 : residual <= 5.0 ? 5.0 : 10.0;
  step = std::max(step * magnitude, minimum_step);
  const double first = std::floor(low / step + 1e-9) * step;
  std::vector<double> ticks;
  // Ticks are first + k step (not a running sum) so rounding errors do not accumulate.
  for (std::size_t k = 0;; ++k) {
    double tick = first + static_cast<double>(k) * step;
    if (std::abs(tick) < step * 1e-9) tick = 0.0;  // no "-0"
    ticks.push_back(tick);
    if (tick >= high - step * 1e-9) break;
  }
  return ticks;
}

std::string default_tick_format(double value) {
  return fmt::format("{:g}", value);
}

std::string interval_chart(const std::vector<interval_row>& rows,
                           const interval_chart_options& options) {
  const double left = column_width(
      rows, [](const interval_row& row) { return std::string_view(row.label); }, 70.0, 240.0);
  const double right = column_width(
      rows, [](const interval_row& row) { return std::string_view(row.note); }, 30.0, 220.0);
  const double top = 8.0, bottom_margin = 42.0;
  const double plot_bottom = top + static_cast<double>(rows.size()) * options.row_height;
  const double height = plot_bottom + bottom_margin;
  const std::vector<double> ticks = nice_ticks(options.domain_low, options.domain_high, 5);
  const linear_scale x(ticks.front(), ticks.back(), left, options.width - right);
  auto clamp_x = [&](double value) { return x(std::clamp(value, ticks.front(), ticks.back())); };

  std::string out = svg_open(options.width, height, options.title);
  out += horizontal_axis(x, ticks, top, plot_bottom, options.format, options.axis_label,
                         (left + options.width - right) / 2.0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const interval_row& row = rows[i];
    const double middle = top + (static_cast<double>(i) + 0.5) * options.row_height;
    const bool drawn = row.lower && row.point && row.upper;
    std::string tooltip = row.label;
    if (drawn)
      tooltip += fmt::format(": {} [{}, {}]", options.value_format(*row.point),
                             options.value_format(*row.lower), options.value_format(*row.upper));
    if (!row.note.empty()) tooltip += " (" + row.note + ")";
    out += fmt::format("<g class=\"row {}\"><title>{}</title>\n", escape_html(row.css_class),
                       escape_html(tooltip));
    out += text_element(left - 8, middle + 4, "end", "label", shortened(row.label));
    if (drawn) {
      if (options.target_half_width) {
        const double from = clamp_x(*row.point - *options.target_half_width);
        const double to = clamp_x(*row.point + *options.target_half_width);
        out +=
            fmt::format("<rect class=\"target\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                        number(from), number(middle - 8), number(to - from), number(16));
      }
      out += fmt::format("<line class=\"interval\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\"/>\n",
                         number(clamp_x(*row.lower)), number(clamp_x(*row.upper)), number(middle));
      out += fmt::format("<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"4\"/>\n",
                         number(clamp_x(*row.point)), number(middle));
    }
    if (!row.note.empty())
      out +=
          text_element(options.width - right + 8, middle + 4, "start", "note", shortened(row.note));
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

std::string bar_chart(const std::vector<bar>& bars, const bar_chart_options& options) {
  const double left = column_width(
      bars, [](const bar& item) { return std::string_view(item.label); }, 70.0, 260.0);
  double largest = 0.0;
  for (const bar& item : bars) largest = std::max(largest, item.value);
  // Room after the longest bar for its value.
  const double right = 90.0;
  const double top = 8.0, bottom_margin = 42.0;
  const double plot_bottom = top + static_cast<double>(bars.size()) * options.row_height;
  const double height = plot_bottom + bottom_margin;
  const std::vector<double> ticks = nice_ticks(0.0, std::max(largest, 1.0), 5);
  const linear_scale x(0.0, ticks.back(), left, options.width - right);

  std::string out = svg_open(options.width, height, options.title);
  out += horizontal_axis(x, ticks, top, plot_bottom, options.format, options.axis_label,
                         (left + options.width - right) / 2.0);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const bar& item = bars[i];
    const double middle = top + (static_cast<double>(i) + 0.5) * options.row_height;
    const std::string value_text =
        item.value_text.empty() ? options.format(item.value) : item.value_text;
    const double end = x(std::max(item.value, 0.0));
    out += fmt::format("<g class=\"{}\"><title>{}: {}</title>\n", escape_html(item.css_class),
                       escape_html(item.label), escape_html(value_text));
    out += text_element(left - 8, middle + 4, "end", "label", shortened(item.label));
    out += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                       number(left), number(middle - options.row_height * 0.32), number(end - left),
                       number(options.row_height * 0.64));
    out += text_element(end + 6, middle + 4, "start", "note", value_text);
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

std::string line_chart(const std::vector<point>& points, const line_chart_options& options) {
  FRUGAL_ASSERT(!points.empty());
  const double left = 70.0, right = 24.0, top = 12.0, bottom_margin = 44.0;
  const double plot_bottom = options.height - bottom_margin;
  double largest = 0.0;
  for (const point& p : points) largest = std::max(largest, p.y);
  const std::vector<double> x_ticks = nice_ticks(points.front().x, points.back().x, 6);
  const std::vector<double> y_ticks =
      nice_ticks(0.0, std::max(largest, 1.0), 5, options.integer_y ? 1.0 : 0.0);
  const linear_scale x(x_ticks.front(), x_ticks.back(), left, options.width - right);
  const linear_scale y(y_ticks.front(), y_ticks.back(), plot_bottom, top);

  std::string out = svg_open(options.width, options.height, options.title);
  out += horizontal_axis(x, x_ticks, top, plot_bottom, options.x_format, options.x_label,
                         (left + options.width - right) / 2.0);
  out += vertical_axis(y, y_ticks, left, options.width - right, options.y_format, options.y_label,
                       (top + plot_bottom) / 2.0);
  std::string path =
      fmt::format("M{},{}", number(x(points.front().x)), number(y(points.front().y)));
  for (std::size_t i = 1; i < points.size(); ++i) {
    if (options.step)
      path += fmt::format(" H{} V{}", number(x(points[i].x)), number(y(points[i].y)));
    else
      path += fmt::format(" L{},{}", number(x(points[i].x)), number(y(points[i].y)));
  }
  out += fmt::format("<path class=\"series\" d=\"{}\"/>\n", path);
  return out + "</svg>\n";
}

}  // namespace frugal::report::detail

namespace frugal::report::detail {

std::string scatter_chart(const std::vector<point_series>& series,
                          const scatter_chart_options& options) {
  double x_low = INFINITY, x_high = -INFINITY, y_low = INFINITY, y_high = -INFINITY;
  std::size_t longest_name = 0;
  for (const point_series& one : series) {
    longest_name = std::max(longest_name, display_length(one.name));
    for (const labelled_point& p : one.points) {
      x_low = std::min(x_low, p.x);
      x_high = std::max(x_high, p.x);
      y_low = std::min(y_low, p.y);
      y_high = std::max(y_high, p.y);
    }
  }
  FRUGAL_ASSERT(x_low <= x_high && y_low <= y_high);  // at least one point
  // The legend sits right of the plot area, one line per series.
  const double legend_width =
      28.0 + static_cast<double>(std::min(longest_name, max_label_chars)) * char_width;
  const double left = 70.0, right = 24.0 + legend_width, top = 12.0, bottom_margin = 44.0;
  const double plot_bottom = options.height - bottom_margin;
  const std::vector<double> x_ticks = nice_ticks(x_low, x_high, 6);
  const std::vector<double> y_ticks = nice_ticks(y_low, y_high, 5);
  const linear_scale x(x_ticks.front(), x_ticks.back(), left, options.width - right);
  const linear_scale y(y_ticks.front(), y_ticks.back(), plot_bottom, top);

  std::string out = svg_open(options.width, options.height, options.title);
  out += horizontal_axis(x, x_ticks, top, plot_bottom, options.x_format, options.x_label,
                         (left + options.width - right) / 2.0);
  out += vertical_axis(y, y_ticks, left, options.width - right, options.y_format, options.y_label,
                       (top + plot_bottom) / 2.0);
  for (std::size_t s = 0; s < series.size(); ++s) {
    const point_series& one = series[s];
    out += fmt::format("<g class=\"series-{}\"><title>{}</title>\n", s % 8, escape_html(one.name));
    if (one.points.size() > 1) {
      std::string path;
      for (const labelled_point& p : one.points)
        path += fmt::format("{}{},{}", path.empty() ? "M" : " L", number(x(p.x)), number(y(p.y)));
      out += fmt::format("<path class=\"trace\" d=\"{}\"/>\n", path);
    }
    for (const labelled_point& p : one.points) {
      out += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}: {} = {}, {} = {}{}</title></circle>\n",
          number(x(p.x)), number(y(p.y)), escape_html(one.name), escape_html(options.x_label),
          escape_html(options.x_format(p.x)), escape_html(options.y_label),
          escape_html(options.y_format(p.y)),
          p.label.empty() ? "" : " (" + escape_html(p.label) + ")");
      // Labels point inwards, so those near the right edge do not run into the legend.
      const bool right_half = x(p.x) > (left + options.width - right) / 2.0;
      if (!p.label.empty())
        out += text_element(x(p.x) + (right_half ? -6 : 6), y(p.y) - 6,
                            right_half ? "end" : "start", "point-label", p.label);
    }
    const double legend_y = top + 14.0 + static_cast<double>(s) * 18.0;
    const double legend_x = options.width - legend_width;
    out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\"/>\n", number(legend_x + 6),
                       number(legend_y - 4));
    out += text_element(legend_x + 16, legend_y, "start", "legend", shortened(one.name));
    out += "</g>\n";
  }
  return out + "</svg>\n";
}

std::string standalone_svg(std::string_view chart) {
  // The charts open with `<svg class="chart" ...>`; a file also needs the namespace, and the
  // chart rules inline since no page stylesheet surrounds it. The background is painted white
  // so the chart stays legible on dark viewers.
  constexpr std::string_view opening = "<svg ";
  FRUGAL_ASSERT(chart.substr(0, opening.size()) == opening);
  const std::size_t tag_end = chart.find('>');
  FRUGAL_ASSERT(tag_end != std::string_view::npos);
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "{}><style>svg.chart {{ background: #fff; }}\n{}</style>{}",
      chart.substr(opening.size(), tag_end - opening.size()), chart_css(),
      chart.substr(tag_end + 1));
}

}  // namespace frugal::report::detail
