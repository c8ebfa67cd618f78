// The dashboard's entry point (placeholder until the dashboard lands).
import 'uplot/dist/uPlot.min.css';
import { h, render } from 'preact';

render(h('p', null, 'tollbooth'), document.getElementById('app'));
