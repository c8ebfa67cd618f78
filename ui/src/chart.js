// A uPlot chart as a Preact component: stacked bars, one colour per group, over time buckets.
// uPlot draws on a canvas and styles its own elements from script (allowed by the page's CSP).
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2',
  '#db2777', '#65a30d', '#9333ea', '#475569'];

// Running sums from the bottom of the stack: stack[i][t] = series 0..i at bucket t.
function stacked(series) {
  const out = [];
  series.forEach((s, i) => out.push(s.values.map((v, t) => v + (i > 0 ? out[i - 1][t] : 0))));
  return out;
}

// uPlot's data: x, then the stacks from the top down, so each shorter bar is drawn over the
// taller one below it in the list (and the legend reads as the stack does, top first).
function plotData(x, series) {
  return [x, ...stacked(series).reverse()];
}

// `x`: bucket starts in Unix seconds; `series`: [{ label, color, values }] from the bottom of
// the stack up, values per bucket; `format`: a value as text (the axis and the hover legend,
// which shows each group's own value, not the stack's).
export function StackedBars({ x, series, format, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const raw = useRef(series);
  raw.current = series;
  const shape = series.map((s) => `${s.label}\u0000${s.color}`).join('\u0001');

  useEffect(() => {
    const el = box.current;
    const step = x.length > 1 ? x[1] - x[0] : 3600;
    const n = series.length;
    const opts = {
      width: Math.max(el.clientWidth, 300),
      height,
      // The buckets are UTC hours and days, as everything on the page: so is the axis.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, range: (u, min, max) => [min - step / 2, max + step / 2] },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        { stroke: '#475569', grid: { stroke: '#e2e8f0' } },
        { stroke: '#475569', grid: { stroke: '#e2e8f0' }, size: 70, values: (u, vals) => vals.map(format) },
      ],
      series: [
        { value: (u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')) },
        ...series.map((_, i) => {
          const bottomUp = n - 1 - i;  // uPlot's series i is the stack's level n-1-i
          const own = series[bottomUp];
          return {
            label: own.label,
            stroke: own.color,
            fill: own.color,
            width: 0,
            paths: uPlot.paths.bars({ size: [0.8, 48] }),
            points: { show: false },
            value: (u, v, si, idx) => (idx === null || idx === undefined ? '—'
              : format(raw.current[bottomUp]?.values[idx] ?? 0)),
          };
        }),
      ],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(opts, plotData(x, series), el);
    const resize = new ResizeObserver(() => {
      if (plot.current) plot.current.setSize({ width: Math.max(el.clientWidth, 300), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [shape, height, format, x.length, x[0]]);

  useEffect(() => {
    if (plot.current) plot.current.setData(plotData(x, series));
  }, [x, series]);

  return h('div', { class: 'chart', ref: box });
}
