#include "frugal/report/update_report.hpp"

namespace frugal::report {
std::string update_report_html(const update_report_input&) { return {}; }
}  // namespace frugal::report
