package io.latchkey.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Draws the plots of {@code docs/benchmarks.md} as SVG from the files the benchmarks write, so each plot can be made
 * again from the data committed beside it. Two kinds:
 * <ul>
 *   <li>{@code percentiles}: latency by percentile, HdrHistogram's way (the x axis in nines, so the tail gets as much
 *   room as the body; the y axis logarithmic), one line per series and the target as a dashed line. A series is a
 *   file of {@code percentile,ms} rows (what {@code authorize_load} writes) or, with {@code #column}, a column of
 *   samples in a CSV file with a header (what {@code LifecycleBenchmarkIT} writes).</li>
 *   <li>{@code jmh}: throughput bars with their error from JMH's JSON results (throughput mode only; with
 *   {@code #name,name}, those benchmarks only), and the target as a dashed line.</li>
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.latchkey.bench.Plot percentiles out.svg "title" 1.0 \
 *     "5,000/s=authorize-5000.csv" "revocations=lifecycle.csv#sent_to_every_edge_ms"
 * java -cp benchmarks/target/benchmarks.jar io.latchkey.bench.Plot jmh out.svg "title" 500000 validate-t1.json
 * </pre>
 */
public final class Plot {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"};
    /** Percentile points per nine: enough for a smooth line from a few hundred samples to a few million. */
    private static final int STEPS_PER_NINE = 20;

    private Plot() {
    }

    /** One line of a percentile plot: latency in ms at each point, x in nines ({@code -log10(1 - p)}). */
    record Series(String label, double[] nines, double[] millis) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5 || !args[0].equals("percentiles") && !args[0].equals("jmh")) {
            System.err.println("usage: Plot percentiles OUT.svg TITLE TARGET_MS LABEL=FILE[#COLUMN]...");
            System.err.println("       Plot jmh OUT.svg TITLE TARGET_OPS_PER_S RESULT.json[#BENCHMARK,...]...");
            System.exit(2);
        }
        Path out = Path.of(args[1]);
        double target = Double.parseDouble(args[3]);
        List<String> inputs = Arrays.asList(args).subList(4, args.length);
        String svg;
        if (args[0].equals("percentiles")) {
            List<Series> series = new ArrayList<>();
            for (String input : inputs) {
                int equals = input.indexOf('=');
                if (equals < 1) {
                    throw new IllegalArgumentException("a series is LABEL=FILE[#COLUMN], not " + input);
                }
                series.add(read(input.substring(0, equals), input.substring(equals + 1)));
            }
            svg = percentiles(args[2], target, series);
        } else {
            svg = jmh(args[2], target, inputs);
        }
        Files.writeString(out, svg);
    }

    /** A series from {@code file} ({@code percentile,ms} rows) or {@code file#column} (a column of samples). */
    static Series read(String label, String source) throws IOException {
        int hash = source.lastIndexOf('#');
        List<String> lines = Files.readAllLines(Path.of(hash < 0 ? source : source.substring(0, hash)));
        List<String> header = Arrays.asList(lines.get(0).split(","));
        List<String> rows = lines.subList(1, lines.size()).stream().filter(line -> !line.isBlank()).toList();
        if (hash < 0) {
            double[] nines = new double[rows.size()];
            double[] millis = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                String[] fields = rows.get(i).split(",");
                double percentile = Double.parseDouble(fields[0]);
                if (percentile >= 100) {
                    throw new IllegalArgumentException("100 % has no place on an axis in nines: write the maximum at "
                            + "100 (1 - 1/n) % as the load generator does, in " + source);
                }
                nines[i] = -Math.log10(1 - percentile / 100);
                millis[i] = Double.parseDouble(fields[1]);
            }
            return new Series(label, nines, millis);
        }
        int column = header.indexOf(source.substring(hash + 1));
        if (column < 0) {
            throw new IllegalArgumentException("no column " + source.substring(hash + 1) + " in " + header);
        }
        return fromSamples(label, rows.stream().mapToDouble(row -> Double.parseDouble(row.split(",")[column]))
                .toArray());
    }

    /** Percentiles of samples from 0 to the last that the samples resolve ({@code 1 - 1/n}), the maximum. */
    static Series fromSamples(String label, double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples for " + label);
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double maxNines = Math.log10(sorted.length);
        int points = (int) Math.floor(maxNines * STEPS_PER_NINE) + 1;
        double[] nines = new double[points + 1];
        double[] millis = new double[points + 1];
        for (int i = 0; i < points; i++) {
            nines[i] = (double) i / STEPS_PER_NINE;
            double p = 1 - Math.pow(10, -nines[i]);
            millis[i] = sorted[Math.max(0, (int) Math.ceil(p * sorted.length - 1e-9) - 1)];
        }
        nines[points] = maxNines;
        millis[points] = sorted[sorted.length - 1];
        return new Series(label, nines, millis);
    }

    static String percentiles(String title, double targetMillis, List<Series> series) {
        // At least one nine, at most six; a value a rounding error above a whole nine adds no empty one.
        double maxNines = Math.min(6, Math.max(1, Math.ceil(series.stream()
                .mapToDouble(s -> s.nines()[s.nines().length - 1]).max().orElse(1) - 1e-9)));
        double low = Math.min(targetMillis, series.stream().flatMapToDouble(s -> Arrays.stream(s.millis()))
                .filter(v -> v > 0).min().orElse(targetMillis));
        double high = Math.max(targetMillis, series.stream().flatMapToDouble(s -> Arrays.stream(s.millis())).max()
                .orElse(targetMillis));
        int lowDecade = (int) Math.floor(Math.log10(low));
        int highDecade = Math.max(lowDecade + 1, (int) Math.ceil(Math.log10(high)));
        Svg svg = new Svg(title);
        Axis x = new Axis(0, maxNines, LEFT, WIDTH - RIGHT);
        Axis y = new Axis(lowDecade, highDecade, HEIGHT - BOTTOM, TOP);
        for (int nine = 0; nine <= maxNines; nine++) {
            svg.gridX(x.at(nine), percentLabel(nine));
        }
        for (int decade = lowDecade; decade <= highDecade; decade++) {
            svg.gridY(y.at(decade), number(Math.pow(10, decade)) + " ms");
            for (int factor : new int[] {2, 5}) {
                if (decade < highDecade) {
                    svg.minorY(y.at(decade + Math.log10(factor)));
                }
            }
        }
        svg.axisTitles("percentile", "latency (log scale)");
        svg.target(y.at(Math.log10(targetMillis)), "target " + number(targetMillis) + " ms");
        for (int i = 0; i < series.size(); i++) {
            Series line = series.get(i);
            // Zeros (an edge that refused a key before the revoke call returned) have no place on a log axis: drawn
            // at its floor, and said so in the legend.
            int zeros = 0;
            while (zeros < line.millis().length && line.millis()[zeros] <= 0) {
                zeros++;
            }
            String label = zeros == 0 ? line.label() : line.label() + " (0 ms up to "
                    + String.format(Locale.ROOT, "%.0f%%", 100 * (1 - Math.pow(10, -line.nines()[zeros - 1])))
                    + ", drawn at the floor)";
            StringBuilder points = new StringBuilder();
            for (int p = 0; p < line.nines().length; p++) {
                double value = Math.max(line.millis()[p], Math.pow(10, lowDecade));
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(line.nines()[p]),
                        y.at(Math.log10(value))));
            }
            svg.polyline(points.toString().trim(), COLOURS[i % COLOURS.length]);
            svg.legend(i, label, COLOURS[i % COLOURS.length]);
        }
        return svg.end();
    }

    static String jmh(String title, double targetPerSecond, List<String> files) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> labels = new ArrayList<>();
        List<double[]> bars = new ArrayList<>();
        // One colour per benchmark, in the order they first come.
        List<String> names = new ArrayList<>();
        List<String> colours = new ArrayList<>();
        for (String input : files) {
            int hash = input.lastIndexOf('#');
            String file = hash < 0 ? input : input.substring(0, hash);
            List<String> only = hash < 0 ? List.of() : List.of(input.substring(hash + 1).split(","));
            for (JsonNode result : json.readTree(Path.of(file).toFile())) {
                JsonNode metric = result.get("primaryMetric");
                String benchmark = result.get("benchmark").asText();
                String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
                if (!result.get("mode").asText().equals("thrpt") || !only.isEmpty() && !only.contains(name)) {
                    continue;
                }
                double perSecond = perSecond(metric.get("scoreUnit").asText());
                StringBuilder label = new StringBuilder(name).append(" (");
                result.path("params").fields().forEachRemaining(p -> label.append(p.getValue().asText().matches("\\d+")
                        ? count(Double.parseDouble(p.getValue().asText())) : p.getValue().asText()).append(' ')
                        .append(p.getKey()).append(", "));
                int threads = result.get("threads").asInt();
                label.append(threads).append(threads == 1 ? " thread) " : " threads) ")
                        .append(Path.of(file).getFileName().toString().replaceFirst("\\.json$", ""));
                double error = metric.get("scoreError").asDouble();
                labels.add(label.toString());
                if (!names.contains(name)) {
                    names.add(name);
                }
                colours.add(COLOURS[names.indexOf(name) % COLOURS.length]);
                bars.add(new double[] {metric.get("score").asDouble() * perSecond,
                        Double.isNaN(error) ? 0 : error * perSecond});
            }
        }
        double high = Math.max(targetPerSecond, bars.stream().mapToDouble(b -> b[0] + b[1]).max().orElse(1));
        double top = niceCeiling(high);
        int rowHeight = 26;
        // Room under the title for the target's label.
        int barsTop = TOP + 10;
        int height = barsTop + BOTTOM + rowHeight * bars.size();
        int labelWidth = 420;
        Svg svg = new Svg(title, height);
        Axis x = new Axis(0, top, labelWidth, WIDTH - RIGHT);
        for (int tick = 0; tick <= 5; tick++) {
            double value = top * tick / 5;
            svg.gridX(x.at(value), count(value));
        }
        for (int i = 0; i < bars.size(); i++) {
            double y = barsTop + i * rowHeight;
            svg.bar(labels.get(i), labelWidth, x.at(bars.get(i)[0]), y, rowHeight - 8,
                    x.at(bars.get(i)[0] - bars.get(i)[1]), x.at(bars.get(i)[0] + bars.get(i)[1]),
                    colours.get(i));
        }
        svg.targetX(x.at(targetPerSecond), "target " + count(targetPerSecond) + "/s");
        svg.axisTitleX("operations per second (± JMH's 99.9 % error)");
        return svg.end();
    }

    private static double perSecond(String unit) {
        return switch (unit) {
            case "ops/s" -> 1;
            case "ops/ms" -> 1e3;
            case "ops/us" -> 1e6;
            case "ops/ns" -> 1e9;
            default -> throw new IllegalArgumentException("not a throughput unit: " + unit);
        };
    }

    private static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    /** 1,500,000 as 1.5M, 250,000 as 250k. */
    private static String count(double value) {
        return value >= 1e6 ? number(value / 1e6) + "M" : value >= 1e3 ? number(value / 1e3) + "k" : number(value);
    }

    private static String percentLabel(int nines) {
        return nines == 0 ? "0%" : number(100 - 100 * Math.pow(10, -nines)) + "%";
    }

    private static String number(double value) {
        String text = String.format(Locale.ROOT, "%.4f", value).replaceAll("0+$", "");
        return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    }

    /** Maps a value range onto a pixel range (inverted when {@code to < from}, as SVG's y grows downwards). */
    record Axis(double low, double high, double from, double to) {
        double at(double value) {
            return from + (value - low) / (high - low) * (to - from);
        }
    }

    /** The few SVG elements the plots use, with text escaped. */
    private static final class Svg {
        private final StringBuilder out = new StringBuilder();
        private final int height;

        Svg(String title) {
            this(title, HEIGHT);
        }

        Svg(String title, int height) {
            this.height = height;
            out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                    + "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                    WIDTH, height, WIDTH, height));
            out.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n",
                    WIDTH, height));
            text(WIDTH / 2.0, 22, "middle", "font-size=\"14\" font-weight=\"bold\"", title);
        }

        void gridX(double x, String label) {
            line(x, TOP, x, height - BOTTOM, "#dddddd", "");
            text(x, height - BOTTOM + 16, "middle", "", label);
        }

        void gridY(double y, String label) {
            line(LEFT, y, WIDTH - RIGHT, y, "#dddddd", "");
            text(LEFT - 6, y + 4, "end", "", label);
        }

        void minorY(double y) {
            line(LEFT, y, WIDTH - RIGHT, y, "#f0f0f0", "");
        }

        void axisTitles(String x, String y) {
            axisTitleX(x);
            out.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
                    + "transform=\"rotate(-90 16 %.1f)\">%s</text>%n", (TOP + height - BOTTOM) / 2.0,
                    (TOP + height - BOTTOM) / 2.0, escape(y)));
        }

        void axisTitleX(String x) {
            text((LEFT + WIDTH - RIGHT) / 2.0, height - 12, "middle", "", x);
        }

        void target(double y, String label) {
            line(LEFT, y, WIDTH - RIGHT, y, "#d62728", "stroke-dasharray=\"6 4\" stroke-width=\"1.5\"");
            text(WIDTH - RIGHT - 4, y - 5, "end", "fill=\"#d62728\"", label);
        }

        void targetX(double x, String label) {
            line(x, TOP + 4, x, height - BOTTOM, "#d62728", "stroke-dasharray=\"6 4\" stroke-width=\"1.5\"");
            text(x + 4, TOP + 6, "start", "fill=\"#d62728\"", label);
        }

        void polyline(String points, String colour) {
            out.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    colour, points));
        }

        void legend(int index, String label, String colour) {
            double y = TOP + 12 + index * 18;
            line(LEFT + 12, y - 4, LEFT + 36, y - 4, colour, "stroke-width=\"3\"");
            text(LEFT + 42, y, "start", "", label);
        }

        void bar(String label, double left, double right, double y, double barHeight, double errorFrom,
                 double errorTo, String colour) {
            text(left - 8, y + barHeight / 2 + 4, "end", "", label);
            out.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    + "fill=\"%s\"/>%n", left, y, Math.max(0, right - left), barHeight, colour));
            line(Math.max(left, errorFrom), y + barHeight / 2, errorTo, y + barHeight / 2, "#333333", "");
        }

        private void line(double x1, double y1, double x2, double y2, String colour, String extra) {
            out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    + "stroke=\"%s\" %s/>%n", x1, y1, x2, y2, colour, extra));
        }

        private void text(double x, double y, String anchor, String extra, String text) {
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n",
                    x, y, anchor, extra, escape(text)));
        }

        private static String escape(String text) {
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }

        String end() {
            return out.append("</svg>\n").toString();
        }
    }
}
