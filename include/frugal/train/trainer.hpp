#pragma once
/// Classifiers trained with LibTorch: `linear`, `mlp` and a small `cnn` on images, and `linear`
/// and `mlp` on generic CSV feature tables; multiclass or one-vs-rest, with seeded, reproducible
/// training, saving/loading, and per-class scores written in the DESIGN.md §4 update format. This
/// header is free of LibTorch so that code using it does not pay for torch's headers; the model
/// lives behind a pointer to an implementation.
///
/// Conventions, stated once:
/// - Image inputs are 8-bit grey images (image_dataset); pixels are scaled to [0, 1] and
///   standardised with Fashion-MNIST's training mean 0.2860 and standard deviation 0.3530.
/// - Feature-table inputs (feature_table) are standardised per feature with the training table's
///   mean and population standard deviation (1 where it is 0), both kept in the spec and so in
///   the model file; the classes are the training table's distinct labels, sorted bytewise.
/// - One-vs-rest is a two-class problem: class 0 is "not-<target>", class 1 is "<target>", two
///   logits trained with the same softmax cross-entropy as multiclass. One code path serves both,
///   and the update format's `score_<class>` columns stay meaningful.
/// - Reproducibility: the same spec, settings, data and thread count give bit-identical weights.
///   The seed drives torch::manual_seed (weight initialisation) and frugal's own generator
///   (training subset and per-epoch shuffles). Results can differ between thread counts.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/train/datasets.hpp"
#include "frugal/train/update_losses.hpp"

namespace frugal::train {

enum class model_kind { linear, mlp, cnn };
std::optional<model_kind> parse_model_kind(std::string_view name);
std::string_view to_string(model_kind kind);

enum class optimizer_kind { adam, sgd };
std::optional<optimizer_kind> parse_optimizer_kind(std::string_view name);
std::string_view to_string(optimizer_kind kind);

/// The widest embedding layer a model may have (model_spec::embedding_dim).
inline constexpr std::size_t max_embedding_dim = 65536;

/// Everything needed to rebuild a model's architecture; saved inside the model file.
struct model_spec {
  model_kind kind = model_kind::mlp;
  /// Hidden layer widths of `mlp` (ignored by the other kinds).
  std::vector<std::size_t> hidden_sizes{256, 128};
  std::size_t image_rows = 28;
  std::size_t image_columns = 28;
  /// Names of the dataset's classes, in label order (e.g. fashion_mnist_classes()).
  std::vector<std::string> dataset_classes;
  /// One-vs-rest when set: the label of the positive class.
  std::optional<std::size_t> target_class;
  /// Feature-table models only (empty for image models): the feature columns in order, and the
  /// per-feature mean and scale subtracted from and divided into each value.
  std::vector<std::string> feature_names;
  std::vector<float> feature_means;
  std::vector<float> feature_scales;
  /// 0: the classifier head reads the last hidden layer. D > 0: a linear embedding layer of
  /// width D sits between the network's body and its head (Linear(D, classes)), so the model
  /// yields D-dimensional embeddings for retrieval (see embed()) and a head that a later model
  /// can be made compatible with (training_loss::bct).
  std::size_t embedding_dim = 0;

  /// Whether the model reads feature tables (true) or images (false).
  bool uses_features() const noexcept { return !feature_names.empty(); }

  /// The model's output classes: dataset_classes, or {"not-<target>", "<target>"}.
  std::vector<std::string> output_classes() const;
  /// The output class of a dataset label (the label itself, or 0/1 for one-vs-rest).
  std::uint32_t output_class_of(std::uint32_t label) const;
};

/// Parses "256,128" into hidden sizes; an empty list, a zero or a non-number is an input_error.
std::vector<std::size_t> parse_hidden_sizes(std::string_view text);

/// A model for fashion_mnist_classes(), multiclass or one-vs-rest for the class `target_name`.
/// An unknown class name is an input_error listing the classes.
model_spec fashion_mnist_spec(model_kind kind, std::vector<std::size_t> hidden_sizes,
                              std::optional<std::string_view> target_name);

/// A `linear` or `mlp` model for a feature table: classes are the distinct labels of `training`
/// (sorted), the standardisation is computed from it, and `target_name` (exact match) selects
/// one-vs-rest. A `cnn`, a table without features or rows, fewer than 2 classes or an unknown
/// target class is an input_error.
model_spec feature_table_spec(model_kind kind, std::vector<std::size_t> hidden_sizes,
                              const feature_table& training,
                              std::optional<std::string_view> target_name);

/// The training loss. Every loss but cross_entropy needs the old model's logits on the training
/// items (training_settings::old_logits); formulas in frugal/train/update_losses.hpp.
enum class training_loss {
  cross_entropy,
  distillation,  ///< focal distillation with beta = 0
  focal_distillation,
  logit_inhibition,
  new_error,  ///< Bansal et al.'s new-error sample weights
  /// Backward-compatible training (Shen et al., CVPR 2020): CE of the new head plus
  /// bct_weight x CE of the old model's frozen head applied to the new embeddings. Needs
  /// training_settings::old_model, with the same embedding width and output classes.
  bct,
};
/// "cross-entropy", "distillation", "focal-distillation", "logit-inhibition", "new-error",
/// "bct".
std::optional<training_loss> parse_training_loss(std::string_view name);
/// The name parse_training_loss reads.
std::string_view to_string(training_loss loss);

class model;

struct training_settings {
  std::size_t epochs = 5;
  std::size_t batch_size = 64;
  double learning_rate = 1e-3;
  optimizer_kind optimizer = optimizer_kind::adam;
  std::uint64_t seed = 1;
  /// Share of the training images used, a seeded simple random sample; in (0, 1].
  double train_subset = 1.0;
  /// torch intra-op threads; 0 = all cores. With more than one, start the process with
  /// OMP_WAIT_POLICY=PASSIVE (the CLI re-executes itself so): libgomp's busy-waiting workers
  /// otherwise starve OpenBLAS's threads, measured 5-20x slower on a loaded two-core machine.
  unsigned threads = 0;
  training_loss loss = training_loss::cross_entropy;
  focal_distillation_settings focal;     ///< distillation and focal_distillation
  logit_inhibition_settings inhibition;  ///< logit_inhibition
  new_error_settings new_error;          ///< new_error
  /// With any loss but cross_entropy: the old model's logits on every training item, row-major
  /// [items, output classes], in the training data's row order (see read_old_logits).
  std::vector<float> old_logits;
  /// With bct: the old model, whose classifier head is applied (frozen) to the new embeddings.
  std::shared_ptr<const model> old_model;
  /// With bct: lambda, the weight of the influence loss.
  double bct_weight = 1;
};

/// Reported after every mini-batch, for progress lines; the trainer never prints.
struct training_progress {
  std::size_t epoch = 0;  ///< 1-based
  std::size_t epochs = 0;
  std::size_t items_done = 0;  ///< in this epoch
  std::size_t items_per_epoch = 0;
  double mean_loss = 0;         ///< mean loss over this epoch's items so far
  double items_per_second = 0;  ///< this epoch so far
};
using progress_callback = std::function<void(const training_progress&)>;

/// A trained (or freshly initialised) classifier. Copies share the same weights.
class model {
 public:
  /// A freshly initialised model; weights drawn after torch::manual_seed(seed).
  model(const model_spec& spec, std::uint64_t seed);
  ~model();
  model(const model&);
  model& operator=(const model&);
  model(model&&) noexcept;
  model& operator=(model&&) noexcept;

  const model_spec& spec() const noexcept;

  /// Saves weights and spec to one file (a torch archive), written atomically.
  void save(const std::string& path) const;
  /// Loads a file written by save(); a missing, corrupt or foreign file is an input_error.
  static model load(const std::string& path);

  /// The LibTorch network, defined in src/train/network.hpp; for frugal's own torch code only.
  struct impl;
  impl& internals() const noexcept { return *impl_; }

 private:
  explicit model(std::shared_ptr<impl> state);
  std::shared_ptr<impl> impl_;
};

/// Trains a new model on `data` (images must match the spec's size). Throws input_error for
/// bad settings or data.
model train_model(const model_spec& spec, const image_dataset& data,
                  const training_settings& settings, const progress_callback& progress = {});

/// Throws input_error unless `data` suits the feature model `spec`: the same feature columns,
/// and every label one of its dataset classes (an unknown label names file:line).
void check_feature_table(const model_spec& spec, const feature_table& data);

/// Trains a new feature-table model on `data`: its feature columns must be the spec's, and every
/// label one of the spec's dataset classes (else an input_error naming file:line).
model train_model(const model_spec& spec, const feature_table& data,
                  const training_settings& settings, const progress_callback& progress = {});

/// Per-class scores of a set of images.
struct class_scores {
  std::vector<std::string> class_names;
  std::vector<float> logits;             ///< row-major, size() x class_names.size()
  std::vector<std::uint32_t> predicted;  ///< argmax of each row (first maximum on ties)
  std::size_t size() const noexcept { return predicted.size(); }
};

/// Logits of every image, computed in fixed-size batches without gradients.
class_scores predict(const model& classifier, const image_dataset& data, unsigned threads = 0);

/// Logits of every row of a feature table (labels are not used, so they may be anything).
class_scores predict(const model& classifier, const feature_table& data, unsigned threads = 0);

/// Embeddings (the embedding layer's output, before the head) of a model with an embedding
/// layer; a model without one is an input_error.
struct embedding_matrix {
  std::size_t dimension = 0;
  std::vector<float> values;  ///< row-major, size() x dimension
  std::size_t size() const noexcept { return dimension == 0 ? 0 : values.size() / dimension; }
};
embedding_matrix embed(const model& classifier, const image_dataset& data, unsigned threads = 0);
embedding_matrix embed(const model& classifier, const feature_table& data, unsigned threads = 0);

/// Writes `id,label,e0,...,e<D-1>` (the embedding format of `frugal compat`, DESIGN.md §4)
/// atomically, one row per item: ids and labels given per row. Values print so they read back
/// exactly.
void write_embeddings(const std::string& path, const embedding_matrix& values,
                      std::span<const std::string> ids, std::span<const std::string> labels);

/// Share of images whose predicted output class equals the spec's output class of the label.
double accuracy(const class_scores& scores, const model_spec& spec, const image_dataset& data);
/// The same for a feature table; a label that is not a dataset class is an input_error naming
/// file:line.
double accuracy(const class_scores& scores, const model_spec& spec, const feature_table& data);

/// The old model's logits for training items, read from a scores file in the update format
/// (`id,prediction,score_<class>...`, as written by write_class_scores): one row per id in
/// `ids`, the columns in `spec`'s output-class order. An id missing from the file, a missing
/// score column or a malformed file is an input_error naming the file.
std::vector<float> read_old_logits(const std::string& path, const model_spec& spec,
                                   std::span<const std::string> ids);
/// The same for the ids "<id_prefix><index>", index 0 to count - 1 (e.g. "train-").
std::vector<float> read_old_logits(const std::string& path, const model_spec& spec,
                                   std::string_view id_prefix, std::size_t count);

/// Writes `id,prediction,score_<class>...` (DESIGN.md §4, model predictions for updates) with
/// ids "<id_prefix><index>", atomically. Scores are logits printed so they read back exactly.
void write_class_scores(const std::string& path, const class_scores& scores,
                        std::string_view id_prefix = "test-");
/// The same with the given ids, one per row (e.g. a feature table's ids).
void write_class_scores(const std::string& path, const class_scores& scores,
                        std::span<const std::string> ids);

}  // namespace frugal::train
