#pragma once
/// Whole-file I/O. Writing outputs so that a failed run leaves nothing half-written: the content
/// goes to a temporary file beside the target, which is renamed over it only when complete.

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::io {

/// Calls `write` with a stream to a temporary file, then renames it to `path`. If `write`
/// throws, or the disk fills, the temporary file is removed and `path` is left as it was.
/// Throws frugal::input_error when the file cannot be created.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

/// Several outputs of one run that appear together or not at all (a harvest's kept examples
/// and its candidates, a simulated log and its model). stage() writes each to a temporary file
/// beside its target, as write_file_atomically() does, and touches no target; commit() renames
/// them all into place. Whatever was staged and not committed is removed when the object is
/// destroyed, so an exception anywhere before commit() leaves every target as it was.
///
///     io::staged_outputs outputs;
///     outputs.stage(candidates_path, write_candidates);
///     outputs.stage(out_path, write_kept);  // throws: no candidates file either
///     outputs.commit();
///
/// The renames are not one atomic step. Each temporary lies in its target's directory and was
/// written there, so a rename fails only when something changes that directory between two
/// renames (or the process dies between them): then the targets renamed before it are new,
/// the rest as they were, the temporaries are removed and commit() throws naming the target.
class staged_outputs {
 public:
  staged_outputs() = default;
  staged_outputs(const staged_outputs&) = delete;
  staged_outputs& operator=(const staged_outputs&) = delete;
  ~staged_outputs();

  /// Writes `path`'s content to its temporary file. Throws frugal::input_error naming `path`
  /// when it cannot be created or written (a missing directory, a full disk); what `write`
  /// throws passes through. Either way that temporary is removed, the earlier ones kept for the
  /// destructor. Staging one path twice: the later content wins.
  void stage(const std::string& path, const std::function<void(std::ostream&)>& write);

  /// Renames every staged temporary over its target, in the order staged. Throws
  /// frugal::input_error when a rename fails (see the class comment).
  void commit();

 private:
  struct staged_file {
    std::string path;
    std::string temporary;
  };
  std::vector<staged_file> files_;
};

/// `text` as one RFC 4180 field: as it is, or in double quotes with inner quotes doubled when it
/// holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);

/// The whole content of a small file (labels, plans, feature tables). Throws
/// frugal::input_error naming the file when it cannot be opened.
std::string read_whole_file(const std::string& path);

}  // namespace frugal::io
