// SPDX-License-Identifier: Apache-2.0
// The HTML report: one self-contained page (inline CSS and SVG; no scripts, fonts or links to fetch)
// with the summary, the per-layer SQNR and cosine charts, and the tables. The markup is also
// well-formed XML, so that any XML parser can check it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "compare/render.h"
#include "compare/report_format.h"

namespace qf::compare {

namespace {

// Chart geometry, in SVG user units.
constexpr double kChartWidth = 1100;
constexpr double kPlotHeight = 220;
constexpr double kMarginLeft = 64;
constexpr double kMarginRight = 16;
constexpr double kMarginTop = 28;
constexpr double kLabelBand = 120;  // room under the plot for the rotated layer names
constexpr size_t kMaxLabelChars = 22;  // longer names are cut in the middle to fit that band
constexpr double kBarFill = 0.8;    // share of a layer's slot its bar covers
constexpr int kYTicks = 5;
constexpr double kHeadroom = 0.08;             // space above the highest bar, as a share of the range
constexpr size_t kMaxNamedLayers = 60;         // beyond this, name every n-th layer only
constexpr double kMinCosineSpan = 1e-3;        // the cosine axis spans at least this much below 1
constexpr double kLabelRotationDegrees = -50;
constexpr double kTickLength = 4;
constexpr double kTextOffset = 4;

// The full layers table: every column but the counts (in the summary) and the output-only ones.
constexpr std::string_view kAllLayerColumns[] = {
    "index",     "tensor",        "candidate",     "op",           "output",      "verdict", "sqnr_db", "cosine", "mse",
    "mae",       "max_abs_error", "pass_rate",     "max_error_lsb", "clipped_share", "range_use", "clipping_mse", "rounding_mse"};

// A layer name short enough for the chart's axis: head and tail kept (exporters put the
// distinguishing part at either end), the middle elided. The bar's tooltip has the full name.
std::string axis_label(const std::string& name) {
  if (name.size() <= kMaxLabelChars) return name;
  const auto continuation = [&](size_t i) { return (static_cast<unsigned char>(name[i]) & 0xC0) == 0x80; };
  size_t head = (kMaxLabelChars - 1) / 2, tail_start = name.size() - (kMaxLabelChars - 1 - head);
  while (head > 0 && continuation(head)) --head;  // never cut a UTF-8 sequence
  while (tail_start < name.size() && continuation(tail_start)) ++tail_start;
  return name.substr(0, head) + "…" + name.substr(tail_start);
}

constexpr std::string_view kStyle = R"(
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { margin-bottom: 4px; }
h2 { margin-top: 28px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary th { color: #555; font-weight: normal; }
.gate { display: inline-block; padding: 6px 12px; border-radius: 4px; font-weight: bold; }
.gate.passed { background: #e3f4e6; color: #1e6b2e; }
.gate.failed { background: #fbe4e1; color: #9b2316; }
.gate.ungated { background: #eee; color: #444; }
tr.FAILED td { background: #fdf0ee; }
tr.MISTRUSTED td { color: #888; }
.scroll { overflow-x: auto; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
svg { background: #fafafa; border: 1px solid #e4e4e4; }
svg text { font-family: sans-serif; font-size: 11px; fill: #333; }
)";

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view verdict_color(Verdict v) {
  switch (v) {
    case Verdict::kPassed: return "#3a7d44";
    case Verdict::kFailed: return "#c0392b";
    case Verdict::kMistrusted: return "#9e9e9e";
  }
  return "#000";
}

struct Bar {
  std::string label;
  double value;
  std::string text;  // the value as the tables show it
  Verdict verdict;
};

struct Chart {
  std::string title;
  std::vector<Bar> bars;
  double lo = 0, hi = 1;  // the y axis
  std::optional<double> threshold;
  std::optional<size_t> marked;  // a bar to point at (the first divergent layer)
};

class SvgChart {
 public:
  explicit SvgChart(const Chart& chart) : c_(chart) {}

  std::string render() const {
    const double height = kMarginTop + kPlotHeight + kLabelBand;
    std::string svg = fmt::format(
        R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img">)", kChartWidth,
        height);
    svg += fmt::format(R"(<title>{}</title>)", escape(c_.title));
    svg += axes();
    for (size_t i = 0; i < c_.bars.size(); ++i) svg += bar(i);
    if (c_.threshold) svg += threshold_line(*c_.threshold);
    svg += "</svg>\n";
    return svg;
  }

 private:
  double plot_width() const { return kChartWidth - kMarginLeft - kMarginRight; }
  double slot() const { return plot_width() / static_cast<double>(std::max<size_t>(c_.bars.size(), 1)); }
  double y(double v) const {
    const double clamped = std::clamp(v, c_.lo, c_.hi);
    return kMarginTop + kPlotHeight * (c_.hi - clamped) / (c_.hi - c_.lo);
  }
  double bottom() const { return kMarginTop + kPlotHeight; }

  std::string axes() const {
    std::string s = fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#888"/>)", kMarginLeft, kMarginTop,
                                bottom());
    s += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#888"/>)", kMarginLeft, bottom(),
                     kMarginLeft + plot_width());
    for (int t = 0; t <= kYTicks; ++t) {
      const double v = c_.lo + (c_.hi - c_.lo) * t / kYTicks;
      s += fmt::format(R"(<line x1="{0}" y1="{2}" x2="{1}" y2="{2}" stroke="#888"/>)", kMarginLeft - kTickLength,
                       kMarginLeft, y(v));
      s += fmt::format(R"(<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{:.4g}</text>)",
                       kMarginLeft - kTickLength - kTextOffset, y(v), v);
    }
    return s;
  }

  std::string bar(size_t i) const {
    const Bar& b = c_.bars[i];
    const double x = kMarginLeft + slot() * static_cast<double>(i);
    const double width = slot() * kBarFill;
    const double center = x + slot() / 2;
    const double top = std::isinf(b.value) ? (b.value > 0 ? y(c_.hi) : bottom()) : y(b.value);
    std::string s = fmt::format(R"(<rect x="{:.2f}" y="{:.2f}" width="{:.2f}" height="{:.2f}" fill="{}"{}>)",
                                x + (slot() - width) / 2, top, width, bottom() - top, verdict_color(b.verdict),
                                std::isinf(b.value) ? R"( fill-opacity="0.45")" : "");
    s += fmt::format("<title>{}: {} ({})</title></rect>", escape(b.label), escape(b.text), verdict_name(b.verdict));
    if (std::isinf(b.value))
      s += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="middle">{}</text>)", center, top - kTextOffset,
                       b.value > 0 ? "∞" : "−∞");
    if (c_.marked == i)
      s += fmt::format(R"(<text x="{:.2f}" y="{:.2f}" text-anchor="middle" fill="#c0392b">▼ first</text>)", center,
                       kMarginTop - kTextOffset * 2);
    const size_t every = (c_.bars.size() + kMaxNamedLayers - 1) / kMaxNamedLayers;
    if (i % every == 0)
      s += fmt::format(R"svg(<text x="{0:.2f}" y="{1:.2f}" text-anchor="end" transform="rotate({2} {0:.2f} {1:.2f})">{3}</text>)svg",
                       center, bottom() + kTextOffset * 2, kLabelRotationDegrees, escape(axis_label(b.label)));
    return s;
  }

  std::string threshold_line(double t) const {
    return fmt::format(
        R"(<line x1="{0}" y1="{1:.2f}" x2="{2}" y2="{1:.2f}" stroke="#c0392b" stroke-dasharray="6 4"/>)"
        R"(<text x="{2}" y="{3:.2f}" text-anchor="end" fill="#c0392b">threshold {4} dB</text>)",
        kMarginLeft, y(t), kMarginLeft + plot_width(), y(t) - kTextOffset, t);
  }

  const Chart& c_;
};

std::vector<double> finite_values(const std::vector<Bar>& bars) {
  std::vector<double> v;
  for (const Bar& b : bars)
    if (std::isfinite(b.value)) v.push_back(b.value);
  return v;
}

Chart sqnr_chart(const DiffReport& r) {
  Chart c;
  c.title = "SQNR per layer (dB; higher is better)";
  for (const TensorReport& t : r.tensors)
    c.bars.push_back({t.pair.golden_name, t.metrics.sqnr_db, format_db(t.metrics.sqnr_db, Style::kShort) + " dB", t.verdict});
  const auto v = finite_values(c.bars);
  const double threshold = r.options.layer_sqnr_threshold_db;
  c.lo = std::min({0.0, threshold, v.empty() ? 0.0 : *std::min_element(v.begin(), v.end())});
  const double top = std::max(threshold, v.empty() ? threshold : *std::max_element(v.begin(), v.end()));
  c.hi = top + std::max(kHeadroom * (top - c.lo), 1.0);
  c.threshold = threshold;
  c.marked = r.first_divergent;
  return c;
}

Chart cosine_chart(const DiffReport& r) {
  Chart c;
  c.title = "cosine similarity per layer (1 is identical)";
  for (const TensorReport& t : r.tensors)
    c.bars.push_back({t.pair.golden_name, t.metrics.cosine, fmt::format("{:.6f}", t.metrics.cosine), t.verdict});
  const auto v = finite_values(c.bars);
  const double lowest = v.empty() ? 1.0 : *std::min_element(v.begin(), v.end());
  c.hi = 1;
  c.lo = std::max(-1.0, std::min(lowest - kHeadroom * (1 - lowest), 1 - kMinCosineSpan));
  return c;
}

std::string html_table(const Table& t) {
  std::string s = R"(<div class="scroll"><table><thead><tr>)";
  for (std::string_view h : t.headers) s += fmt::format("<th>{}</th>", escape(h));
  s += "</tr></thead><tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    s += t.verdicts.empty() ? "<tr>" : fmt::format(R"(<tr class="{}">)", verdict_name(t.verdicts[r]));
    for (size_t c = 0; c < t.rows[r].size(); ++c)
      s += (t.numeric[c] ? R"(<td class="num">)" : "<td>") + escape(t.rows[r][c]) + "</td>";
    s += "</tr>\n";
  }
  return s + "</tbody></table></div>\n";
}

std::string legend() {
  std::string s = R"(<p class="legend">)";
  for (Verdict v : {Verdict::kPassed, Verdict::kFailed, Verdict::kMistrusted})
    s += fmt::format(R"(<span style="background: {}"></span>{})", verdict_color(v), verdict_name(v));
  return s + "; a pale bar is infinite (identical tensors); hover a bar for its value</p>\n";
}

std::string gate_banner(const DiffReport& r) {
  if (!r.gated()) return R"(<p class="gate ungated">not gated (no --fail_below)</p>)";
  const bool passed = r.gate_failures.empty();
  return fmt::format(R"(<p class="gate {}">gate {}: {}</p>)", passed ? "passed" : "failed",
                     escape(format_fail_below(r.options.fail_below)), escape(gate_text(r)));
}

std::string summary_table(const DiffReport& r) {
  std::string s = R"(<table class="summary"><tbody>)";
  for (const auto& [label, text] : summary_lines(r))
    s += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(label), escape(text));
  return s + "</tbody></table>\n";
}

}  // namespace

std::string render_html(const DiffReport& r) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>";
  s += fmt::format("<title>qforge-diff: {} vs {}</title>", escape(r.options.golden), escape(r.options.candidate));
  s += fmt::format("<style>{}</style></head>\n<body>\n<h1>qforge-diff</h1>\n", kStyle);
  s += gate_banner(r) + summary_table(r);
  s += "<h2>Outputs, worst first</h2>\n";
  s += html_table(tensor_table(r, kOutputColumns, worst_first(r.tensors, r.outputs()), Style::kShort));
  if (const Table accuracy = accuracy_table(r); !accuracy.rows.empty())
    s += "<h2>Accuracy against the labels</h2>\n" + html_table(accuracy);
  s += "<h2>SQNR per layer</h2>\n" + legend() + SvgChart(sqnr_chart(r)).render();
  s += "<h2>Cosine similarity per layer</h2>\n" + SvgChart(cosine_chart(r)).render();
  s += "<h2>Layers, in order</h2>\n";
  s += html_table(tensor_table(r, kAllLayerColumns, r.all(), Style::kShort));
  if (!r.unmatched.empty()) {
    s += "<h2>Not compared</h2>\n<ul>\n";
    for (const UnmatchedTensor& u : r.unmatched)
      s += fmt::format("<li>{} ({})</li>\n", escape(u.name), unmatched_name(u.why));
    s += "</ul>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace qf::compare
