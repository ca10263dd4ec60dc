// Projection pairs in, projection results out (frugal/harvest/projection_pairs.hpp).

#include "frugal/harvest/projection_pairs.hpp"

#include <iostream>
#include <iterator>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {

projection_pairs parse_projection_pairs(std::string_view text, const std::string& source,
                                        bool skip_bad) {
  using namespace detail;
  projection_pairs result;
  skip_policy skip;
  skip.skip_bad = skip_bad;
  for_each_json_line(text, source, skip, [&](const json_line& line) {
    projection_pair pair;
    pair.line = line.number;
    const json& id = required_field(line, line.value, "id");
    pair.id = id_text(line, id, "id");
    pair.integer_id = !id.is_string();
    pair.source = utterance_object(line, line.value, "source", true);
    const json& target = required_field(line, line.value, "target");
    if (!target.is_object()) fail_at(line, "target", "\"target\" must be an object");
    try {
      pair.target_tokens = string_array(line, target, "tokens", "target");
    } catch (const input_error& error) {
      // The helper points at the first "tokens" on the line, which is the source's.
      fail_at(line, "target", error.message());
    }
    if (pair.target_tokens.empty())
      fail_at(line, "target", "\"target.tokens\" is empty: an utterance needs words");
    // Projection allocates source x target word distances (max_utterance_tokens says why).
    if (const std::string problem = token_limit_problem(pair.source.tokens, "source.tokens");
        !problem.empty())
      fail_at(line, "source", problem);
    if (const std::string problem = token_limit_problem(pair.target_tokens, "target.tokens");
        !problem.empty())
      fail_at(line, "target", problem);
    result.pairs.push_back(std::move(pair));
  });
  result.skipped = skip.skipped;
  result.skip_messages = std::move(skip.messages);
  return result;
}

projection_pairs read_projection_pairs(const std::string& path, bool skip_bad) {
  if (path == "-")
    return parse_projection_pairs(std::string(std::istreambuf_iterator<char>(std::cin), {}),
                                  "stdin", skip_bad);
  return parse_projection_pairs(io::read_whole_file(path), path, skip_bad);
}

std::string projection_line(const projection_pair& pair, const projection_result& result) {
  detail::json line = detail::json::object();
  // An integer id went through id_text() (its JSON digits), so it parses back to itself.
  line["id"] = pair.integer_id ? detail::json::parse(pair.id) : detail::json(pair.id);
  line["intent"] = result.intent;
  line["slots"] = result.ok ? detail::slots_json(result.slots) : detail::json::array();
  line["status"] = result.ok ? "ok" : "rejected";
  line["reason"] = result.reason;
  return line.dump();
}

std::string rejection_kind(const std::string& reason) {
  return reason.substr(0, reason.find(": "));
}

}  // namespace frugal::harvest
