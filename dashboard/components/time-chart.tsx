/**
 * A time-series chart (uPlot: canvas, made for time series, ~50 KB). `data` is uPlot's
 * column form: `[times in unix seconds, series1, series2, …]`. The axis shows the browser's zone.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface TimeChartProps {
	title: string;
	series: { label: string; stroke?: string }[];
	data: [number[], ...(number | null)[][]];
	height?: number;
	/** Formats a value on the y axis and in the legend. */
	format?: (value: number) => string;
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];

export function TimeChart({ title, series, data, height = 160, format }: TimeChartProps) {
	const box = useRef<HTMLDivElement>(null);
	const plot = useRef<uPlot | undefined>(undefined);
	const shape = series.map(s => s.label).join("|");
	useEffect(() => {
		const el = box.current;
		if (!el) return;
		const value = format ? (_: uPlot, v: number | null) => (v === null ? "—" : format(v)) : undefined;
		const chart = new uPlot(
			{
				width: Math.max(el.clientWidth, 200),
				height,
				series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.stroke ?? COLORS[i % COLORS.length], width: 2, value }))],
				axes: [{}, { size: 70, values: format ? (_: uPlot, vs: number[]) => vs.map(v => format(v)) : undefined }],
				scales: { x: { time: true } }
			},
			data,
			el
		);
		plot.current = chart;
		const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height }));
		resize.observe(el);
		return () => {
			resize.disconnect();
			chart.destroy();
			plot.current = undefined;
		};
	}, [shape, height]);
	useEffect(() => plot.current?.setData(data), [data]);
	return (
		<figure class="chart">
			<figcaption>{title}</figcaption>
			<div ref={box} role="img" aria-label={title} />
		</figure>
	);
}
