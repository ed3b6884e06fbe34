// libFuzzer harness for the OGB column parsers on their own (higher
// throughput than the whole-directory harness): the single count of
// num-node-list / num-edge-list, one-value-per-line columns (labels with
// "nan", split ids with a bound) and dense feature rows.
//
// Input: a selector byte, a parameter byte, then the file's bytes.
//   selector % 4: 0 read_single_count, 1 labels (read_column<int32>, "nan"
//   allowed), 2 split ids (read_column<int64>, bound = parameter), 3 feature
//   rows (expected rows = parameter). Selector bit 2: the file is named .gz.
// Oracles: values within their bounds, features rows x dim and finite.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ms = matsample;
  if (size < 2) return 0;
  const std::uint8_t selector = data[0], parameter = data[1];
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto path = fuzz::scratch() / ((selector & 4) != 0 ? "column.csv.gz" : "column.csv");
  fuzz::write_file(path, text);
  try {
    switch (selector % 4) {
      case 0: {
        FUZZ_ASSERT(ms::io::read_single_count(path) >= 0);
        break;
      }
      case 1: {
        const auto labels =
            ms::io::read_column<std::int32_t>(path, std::numeric_limits<std::int32_t>::max(), true, "label");
        for (const auto l : labels) FUZZ_ASSERT(l >= -1);
        break;
      }
      case 2: {
        const std::int64_t bound = parameter;
        const auto ids = ms::io::read_column<std::int64_t>(path, bound, false, "vertex id");
        for (const auto v : ids) FUZZ_ASSERT(v >= 0 && v < bound);
        break;
      }
      default: {
        std::int64_t dim = -1;
        std::vector<float> out;
        const std::int64_t rows = ms::io::read_feature_rows(path, parameter, dim, out);
        FUZZ_ASSERT(rows == parameter);
        FUZZ_ASSERT(dim > 0);
        FUZZ_ASSERT(static_cast<std::int64_t>(out.size()) == rows * dim);
        for (const float x : out) FUZZ_ASSERT(std::isfinite(x));
        break;
      }
    }
  } catch (const ms::error&) {}
  return 0;
}
