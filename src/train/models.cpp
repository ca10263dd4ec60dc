// Model architectures, specs and the model file (one torch archive holding weights and spec).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xxhash.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "network.hpp"

namespace frugal::train {

std::optional<model_kind> parse_model_kind(std::string_view name) {
  if (name == "linear") return model_kind::linear;
  if (name == "mlp") return model_kind::mlp;
  if (name == "cnn") return model_kind::cnn;
  return std::nullopt;
}

std::string_view to_string(model_kind kind) {
  switch (kind) {
    case model_kind::linear:
      return "linear";
    case model_kind::mlp:
      return "mlp";
    case model_kind::cnn:
      return "cnn";
  }
  FRUGAL_ASSERT(false);
  return {};
}

std::optional<optimizer_kind> parse_optimizer_kind(std::string_view name) {
  if (name == "adam") return optimizer_kind::adam;
  if (name == "sgd") return optimizer_kind::sgd;
  return std::nullopt;
}

std::string_view to_string(optimizer_kind kind) {
  return kind == optimizer_kind::adam ? "adam" : "sgd";
}

std::vector<std::string> model_spec::output_classes() const {
  if (!target_class) return dataset_classes;
  FRUGAL_ASSERT(*target_class < dataset_classes.size());
  const std::string& target = dataset_classes[*target_class];
  return {"not-" + target, target};
}

std::uint32_t model_spec::output_class_of(std::uint32_t label) const {
  if (!target_class) return label;
  return label == *target_class ? 1u : 0u;
}

std::vector<std::size_t> parse_hidden_sizes(std::string_view text) {
  std::vector<std::size_t> sizes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view field = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc{} || end != field.data() + field.size() || value == 0 ||
        value > 1'000'000) {
      throw input_error(fmt::format(
          "hidden sizes \"{}\": \"{}\" is not a layer width (a whole number from 1 to 1000000)",
          text, field));
    }
    sizes.push_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return sizes;
}

model_spec fashion_mnist_spec(model_kind kind, std::vector<std::size_t> hidden_sizes,
                              std::optional<std::string_view> target_name) {
  model_spec spec;
  spec.kind = kind;
  spec.hidden_sizes = std::move(hidden_sizes);
  for (std::string_view name : fashion_mnist_classes()) spec.dataset_classes.emplace_back(name);
  if (target_name) {
    spec.target_class = fashion_mnist_class(*target_name);
    if (!spec.target_class) {
      std::string known;
      for (std::string_view name : fashion_mnist_classes())
        known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
      throw input_error(fmt::format("unknown Fashion-MNIST class \"{}\"; the classes are: {}",
                                    *target_name, known));
    }
  }
  return spec;
}

model_spec feature_table_spec(model_kind kind, std::vector<std::size_t> hidden_sizes,
                              const feature_table& training,
                              std::optional<std::string_view> target_name) {
  if (kind == model_kind::cnn)
    throw input_error("a cnn needs images; use linear or mlp for a feature table");
  const std::size_t width = training.feature_names.size();
  if (width == 0) throw input_error(training.source, 1, 1, "the table has no feature columns");
  if (training.size() == 0) throw input_error(training.source, 0, 0, "the table has no rows");
  FRUGAL_ASSERT(training.features.size() == training.size() * width);
  model_spec spec;
  spec.kind = kind;
  spec.hidden_sizes = std::move(hidden_sizes);
  spec.image_rows = 0;
  spec.image_columns = 0;
  spec.dataset_classes = training.labels;
  std::sort(spec.dataset_classes.begin(), spec.dataset_classes.end());
  spec.dataset_classes.erase(std::unique(spec.dataset_classes.begin(), spec.dataset_classes.end()),
                             spec.dataset_classes.end());
  if (spec.dataset_classes.size() < 2)
    throw input_error(training.source, 0, 0,
                      fmt::format("the labels have {} distinct value(s); a classifier needs 2",
                                  spec.dataset_classes.size()));
  if (target_name) {
    const auto found =
        std::find(spec.dataset_classes.begin(), spec.dataset_classes.end(), *target_name);
    if (found == spec.dataset_classes.end())
      throw input_error(fmt::format("unknown class \"{}\"; the classes of {} are: {}", *target_name,
                                    training.source, fmt::join(spec.dataset_classes, ", ")));
    spec.target_class = static_cast<std::size_t>(found - spec.dataset_classes.begin());
  }
  spec.feature_names = training.feature_names;
  // Two passes in double: the mean, then the population standard deviation about it.
  std::vector<double> sums(width, 0.0);
  for (std::size_t i = 0; i < training.size(); ++i)
    for (std::size_t f = 0; f < width; ++f) sums[f] += training.features[i * width + f];
  std::vector<double> squares(width, 0.0);
  const auto count = static_cast<double>(training.size());
  for (std::size_t i = 0; i < training.size(); ++i)
    for (std::size_t f = 0; f < width; ++f) {
      const double difference = training.features[i * width + f] - sums[f] / count;
      squares[f] += difference * difference;
    }
  for (std::size_t f = 0; f < width; ++f) {
    const double deviation = std::sqrt(squares[f] / count);
    const auto scale = static_cast<float>(deviation);
    spec.feature_means.push_back(static_cast<float>(sums[f] / count));
    // A constant feature (or one whose spread underflows float) is only centred.
    spec.feature_scales.push_back(scale > 0 && std::isfinite(scale) ? scale : 1.0f);
  }
  return spec;
}

namespace detail {

torch::nn::Sequential build_network(const model_spec& spec) {
  const auto rows = static_cast<std::int64_t>(spec.image_rows);
  const auto columns = static_cast<std::int64_t>(spec.image_columns);
  const auto outputs = static_cast<std::int64_t>(spec.output_classes().size());
  const std::int64_t input_width =
      spec.uses_features() ? static_cast<std::int64_t>(spec.feature_names.size()) : rows * columns;
  FRUGAL_ASSERT(!(spec.uses_features() && spec.kind == model_kind::cnn));
  torch::nn::Sequential network;
  // The body's output width, which the head (or the embedding layer) reads.
  std::int64_t body_width = input_width;
  switch (spec.kind) {
    case model_kind::linear:
      network->push_back(torch::nn::Flatten());
      break;
    case model_kind::mlp: {
      network->push_back(torch::nn::Flatten());
      for (std::size_t width : spec.hidden_sizes) {
        network->push_back(torch::nn::Linear(body_width, static_cast<std::int64_t>(width)));
        network->push_back(torch::nn::ReLU());
        body_width = static_cast<std::int64_t>(width);
      }
      break;
    }
    case model_kind::cnn:
      // Two 3x3 conv + 2x2 max-pool blocks (16 and 32 channels) and a linear head: small
      // enough to train an epoch of Fashion-MNIST in seconds on two cores.
      network->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)));
      network->push_back(torch::nn::ReLU());
      network->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      network->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)));
      network->push_back(torch::nn::ReLU());
      network->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      network->push_back(torch::nn::Flatten());
      body_width = 32 * (rows / 4) * (columns / 4);
      break;
  }
  if (spec.embedding_dim > 0) {
    // A linear bottleneck: the head of a linear model on the embeddings, so an old model's head
    // can be applied to a new model's embeddings (BCT).
    const auto width = static_cast<std::int64_t>(spec.embedding_dim);
    network->push_back(torch::nn::Linear(body_width, width));
    body_width = width;
  }
  network->push_back(torch::nn::Linear(body_width, outputs));
  return network;
}

torch::Tensor embedding_of(torch::nn::Sequential& network, torch::Tensor input) {
  // Every layer but the head, which is always the last one.
  auto layer = network->begin();
  for (std::size_t i = 0; i + 1 < network->size(); ++i, ++layer) input = layer->forward(input);
  return input;
}

torch::nn::Linear head_of(torch::nn::Sequential& network) {
  return network->ptr<torch::nn::LinearImpl>(network->size() - 1);
}

void check_dataset(const model_spec& spec, const image_dataset& data) {
  if (spec.uses_features()) throw input_error("this model reads feature tables, not images");
  if (data.rows != spec.image_rows || data.columns != spec.image_columns) {
    throw input_error(fmt::format("images are {}x{} but the model expects {}x{}", data.rows,
                                  data.columns, spec.image_rows, spec.image_columns));
  }
  if (data.pixels.size() != data.size() * data.rows * data.columns) {
    throw input_error(fmt::format("{} labels but {} pixels for {}x{} images", data.size(),
                                  data.pixels.size(), data.rows, data.columns));
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data.labels[i] >= spec.dataset_classes.size()) {
      throw input_error(fmt::format("image {} has label {} but there are only {} classes", i,
                                    data.labels[i], spec.dataset_classes.size()));
    }
  }
}

torch::Tensor to_input(const image_dataset& data) {
  const auto size = static_cast<std::int64_t>(data.size());
  const auto rows = static_cast<std::int64_t>(data.rows);
  const auto columns = static_cast<std::int64_t>(data.columns);
  // from_blob does not copy or write; to(kFloat32) makes the copy we keep.
  const torch::Tensor bytes = torch::from_blob(const_cast<std::uint8_t*>(data.pixels.data()),
                                               {size, 1, rows, columns}, torch::kUInt8);
  constexpr double mean = 0.2860;
  constexpr double standard_deviation = 0.3530;
  return bytes.to(torch::kFloat32).div_(255.0).sub_(mean).div_(standard_deviation);
}

void check_features(const model_spec& spec, const feature_table& data) {
  if (!spec.uses_features())
    throw input_error(data.source, 0, 0, "this model reads images, not feature tables");
  if (data.feature_names != spec.feature_names)
    throw input_error(
        data.source, 1, 1,
        fmt::format("the feature columns are {} but the model expects {}",
                    fmt::join(data.feature_names, ","), fmt::join(spec.feature_names, ",")));
  FRUGAL_ASSERT(data.features.size() == data.size() * spec.feature_names.size());
}

std::vector<std::uint32_t> table_labels(const model_spec& spec, const feature_table& data) {
  check_features(spec, data);
  std::vector<std::uint32_t> labels(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto found =
        std::lower_bound(spec.dataset_classes.begin(), spec.dataset_classes.end(), data.labels[i]);
    if (found == spec.dataset_classes.end() || *found != data.labels[i])
      throw input_error(data.source, i < data.lines.size() ? data.lines[i] : 0, 0,
                        fmt::format("label \"{}\" is not a class of the model (the classes "
                                    "are: {})",
                                    data.labels[i], fmt::join(spec.dataset_classes, ", ")));
    labels[i] = static_cast<std::uint32_t>(found - spec.dataset_classes.begin());
  }
  return labels;
}

torch::Tensor to_input(const model_spec& spec, const feature_table& data) {
  check_features(spec, data);
  const auto size = static_cast<std::int64_t>(data.size());
  const auto width = static_cast<std::int64_t>(spec.feature_names.size());
  // from_blob does not copy or write; clone() makes the copy we keep and modify.
  const torch::Tensor values =
      torch::from_blob(const_cast<float*>(data.features.data()), {size, width}, torch::kFloat32)
          .clone();
  const torch::Tensor means =
      torch::from_blob(const_cast<float*>(spec.feature_means.data()), {1, width}, torch::kFloat32);
  const torch::Tensor scales =
      torch::from_blob(const_cast<float*>(spec.feature_scales.data()), {1, width}, torch::kFloat32);
  return values.sub_(means).div_(scales);
}

void use_threads(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  torch::set_num_threads(static_cast<int>(threads));
}

}  // namespace detail

namespace {

constexpr std::string_view spec_key = "frugal_model_spec";
constexpr std::string_view hash_key = "frugal_content_xxh3";
// Version 1: image models; version 2 adds the feature-table fields, version 3 the embedding
// width (each written only when used, so files without them stay readable by older builds).
constexpr int file_version = 3;

// torch's archive reader does not notice damaged tensor data (measured: 64 flipped bytes load
// silently), so the file carries a hash of the description and of every parameter's name and
// bytes, checked on load.
std::string content_hash(const std::string& description, torch::nn::Sequential& network) {
  std::string bytes = description;
  for (const auto& item : network->named_parameters(/*recurse=*/true)) {
    const torch::Tensor values = item.value().detach().contiguous();
    bytes += item.key();
    bytes += '\0';
    bytes.append(static_cast<const char*>(values.data_ptr()), values.nbytes());
  }
  return fmt::format("{:016x}", XXH3_64bits(bytes.data(), bytes.size()));
}

std::string spec_to_json(const model_spec& spec) {
  nlohmann::ordered_json root;
  root["format"] = "frugal-model";
  root["version"] = spec.embedding_dim > 0 ? 3 : spec.uses_features() ? 2 : 1;
  root["kind"] = std::string(to_string(spec.kind));
  root["hidden_sizes"] = spec.hidden_sizes;
  root["image_rows"] = spec.image_rows;
  root["image_columns"] = spec.image_columns;
  root["dataset_classes"] = spec.dataset_classes;
  root["target_class"] =
      spec.target_class ? nlohmann::ordered_json(*spec.target_class) : nlohmann::ordered_json();
  if (spec.uses_features()) {
    // nlohmann prints doubles with 17 digits, so the floats read back exactly.
    root["feature_names"] = spec.feature_names;
    root["feature_means"] = spec.feature_means;
    root["feature_scales"] = spec.feature_scales;
  }
  if (spec.embedding_dim > 0) root["embedding_dim"] = spec.embedding_dim;
  return root.dump();
}

model_spec spec_from_json(const std::string& text, const std::string& path) {
  const auto bad = [&](const std::string& why) {
    return input_error(path, 0, 0, "not a frugal model file: " + why);
  };
  try {
    const nlohmann::json root = nlohmann::json::parse(text);
    if (root.at("format") != "frugal-model") throw bad("wrong format name");
    if (!root.at("version").is_number_integer() || root.at("version") < 1 ||
        root.at("version") > file_version) {
      throw bad(fmt::format("version {} (this frugal reads 1 to {})", root.at("version").dump(),
                            file_version));
    }
    model_spec spec;
    const auto kind = parse_model_kind(root.at("kind").get<std::string>());
    if (!kind) throw bad("unknown model kind");
    spec.kind = *kind;
    spec.hidden_sizes = root.at("hidden_sizes").get<std::vector<std::size_t>>();
    spec.image_rows = root.at("image_rows").get<std::size_t>();
    spec.image_columns = root.at("image_columns").get<std::size_t>();
    spec.dataset_classes = root.at("dataset_classes").get<std::vector<std::string>>();
    if (!root.at("target_class").is_null())
      spec.target_class = root.at("target_class").get<std::size_t>();
    if (root.contains("feature_names")) {
      spec.feature_names = root.at("feature_names").get<std::vector<std::string>>();
      spec.feature_means = root.at("feature_means").get<std::vector<float>>();
      spec.feature_scales = root.at("feature_scales").get<std::vector<float>>();
    }
    if (root.contains("embedding_dim")) {
      // Written from version 3 on, and only as a positive whole number.
      const nlohmann::json& width = root.at("embedding_dim");
      if (root.at("version") < 3 || !width.is_number_unsigned() || width.get<std::size_t>() == 0)
        throw bad("bad embedding width");
      spec.embedding_dim = width.get<std::size_t>();
    }
    const bool sizes_ok = std::all_of(spec.hidden_sizes.begin(), spec.hidden_sizes.end(),
                                      [](std::size_t width) { return width > 0; });
    const bool features_ok = spec.uses_features()
                                 ? spec.kind != model_kind::cnn &&
                                       spec.feature_means.size() == spec.feature_names.size() &&
                                       spec.feature_scales.size() == spec.feature_names.size()
                                 : spec.image_rows >= 4 && spec.image_columns >= 4;
    if (!sizes_ok || !features_ok || spec.dataset_classes.size() < 2 ||
        spec.embedding_dim > max_embedding_dim ||
        (spec.target_class && *spec.target_class >= spec.dataset_classes.size())) {
      throw bad("inconsistent model description");
    }
    return spec;
  } catch (const nlohmann::json::exception& error) {
    throw bad(error.what());
  }
}

}  // namespace

model::model(const model_spec& spec, std::uint64_t seed) {
  if (spec.kind == model_kind::mlp && spec.hidden_sizes.empty())
    throw input_error("an mlp needs at least one hidden layer");
  if (spec.uses_features()) {
    if (spec.kind == model_kind::cnn)
      throw input_error("a cnn needs images; use linear or mlp for a feature table");
    if (spec.feature_means.size() != spec.feature_names.size() ||
        spec.feature_scales.size() != spec.feature_names.size())
      throw input_error("a feature model needs one mean and one scale per feature");
  } else if (spec.image_rows < 4 || spec.image_columns < 4) {
    throw input_error("images must be at least 4x4 pixels");
  }
  if (spec.dataset_classes.size() < 2) throw input_error("a classifier needs at least 2 classes");
  if (spec.embedding_dim > max_embedding_dim)
    throw input_error(fmt::format("the embedding width must be at most {}", max_embedding_dim));
  if (spec.target_class && *spec.target_class >= spec.dataset_classes.size())
    throw input_error("the target class is not one of the classes");
  torch::manual_seed(seed);
  impl_ = std::make_shared<impl>(impl{spec, detail::build_network(spec)});
}

model::model(std::shared_ptr<impl> state) : impl_(std::move(state)) {}
model::~model() = default;
model::model(const model&) = default;
model& model::operator=(const model&) = default;
model::model(model&&) noexcept = default;
model& model::operator=(model&&) noexcept = default;

const model_spec& model::spec() const noexcept {
  return impl_->spec;
}

void model::save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  impl_->network->save(archive);
  const std::string description = spec_to_json(impl_->spec);
  archive.write(std::string(spec_key), c10::IValue(description));
  archive.write(std::string(hash_key), c10::IValue(content_hash(description, impl_->network)));
  io::write_file_atomically(path, [&](std::ostream& out) { archive.save_to(out); });
}

model model::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw input_error(path, 0, 0, "cannot open the model file");
  std::stringstream bytes;
  bytes << file.rdbuf();
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes);
    c10::IValue description;
    if (!archive.try_read(std::string(spec_key), description) || !description.isString())
      throw input_error(path, 0, 0, "not a frugal model file: no model description");
    model_spec spec = spec_from_json(description.toStringRef(), path);
    auto state = std::make_shared<impl>(impl{spec, detail::build_network(spec)});
    state->network->load(archive);
    c10::IValue hash;
    if (!archive.try_read(std::string(hash_key), hash) || !hash.isString() ||
        hash.toStringRef() != content_hash(description.toStringRef(), state->network)) {
      throw input_error(path, 0, 0, "corrupt model file: the content does not match its checksum");
    }
    state->network->eval();
    return model(std::move(state));
  } catch (const input_error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const c10::Error& error) {
    const std::string_view message = error.what_without_backtrace();
    throw input_error(
        path, 0, 0,
        fmt::format("corrupt or foreign model file: {}", message.substr(0, message.find('\n'))));
  } catch (const std::exception& error) {
    // The archive reader also throws plain standard exceptions on damaged data.
    throw input_error(path, 0, 0, fmt::format("corrupt or foreign model file: {}", error.what()));
  }
}

}  // namespace frugal::train
