// The patient's screen: renders what the screen node sends over /ws; Pause and Help buttons.
// Plain browser JavaScript, nothing fetched from the internet.
'use strict';

const BONES = [[11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23], [12, 24], [23, 24],
  [23, 25], [25, 27], [24, 26], [26, 28]];
const NOT_CONNECTED = 'Ikke kontakt med roboten';   // before any text came from the robot
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

let socket = null;
let state = null;
let retryDelay = 500;
let restEndsAt = null;
let demo = null;
let demoKey = '';
let demoStart = 0;

function words() { return state ? state.labels : null; }

function showBanner(text) {
  const banner = $('banner');
  banner.textContent = text;
  banner.hidden = !text;
}

function connect() {
  socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  socket.onopen = () => { retryDelay = 500; };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === 'state') render(message);
    else if (message.type === 'skeleton') drawSkeleton(message.points);
    else if (message.type === 'reply' && !message.ok) showBanner(message.message);
  };
  socket.onclose = () => {
    const w = words();
    showBanner(w ? `${w.not_connected}. ${w.reconnecting}` : NOT_CONNECTED);
    setButtons(false);
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 4000);
  };
}

function setButtons(enabled) {
  $('pause').disabled = !enabled;
  $('help').disabled = !enabled;
}

function render(next) {
  state = next;
  const w = state.labels;
  document.documentElement.lang = state.language;
  showBanner(state.connected ? '' : w.not_connected);
  $('heading').textContent = state.heading;
  $('count').textContent = state.count_text;
  $('set').textContent = state.set_text;
  restEndsAt = state.rest_remaining === null ? null
    : performance.now() + state.rest_remaining * 1000;
  tickRest();
  const summary = $('summary');
  summary.replaceChildren(...(state.summary || []).map(([name, reps]) => {
    const item = document.createElement('li');
    item.textContent = `${name}: ${reps}`;
    return item;
  }));
  summary.hidden = !state.summary;
  const caption = $('caption');
  caption.textContent = state.caption;
  caption.classList.toggle('old', !state.speaking);
  $('pause').textContent = state.paused ? w.resume_button : w.pause_button;
  $('help').textContent = w.help_button;
  setButtons(state.connected && state.session_live && !state.help_called);
  if (state.step === 'summary' || state.step === 'goodbye') $('pause').disabled = true;
  $('demo-caption').textContent = w.demonstration;
  $('skeleton-caption').textContent = w.you;
  setDemo(state.demo);
  const exercising = state.show_skeleton && state.counting;
  $('skeleton-box').hidden = !exercising;
  if (!exercising) $('skeleton').replaceChildren();
}

function tickRest() {
  const rest = $('rest');
  if (restEndsAt === null) { rest.hidden = true; return; }
  const left = Math.max(0, Math.ceil((restEndsAt - performance.now()) / 1000));
  rest.textContent = `${left} ${words().seconds}`;
  rest.hidden = false;
}

function line(parent, a, b, className) {
  const l = document.createElementNS(SVG, 'line');
  l.setAttribute('x1', a[0]); l.setAttribute('y1', a[1]);
  l.setAttribute('x2', b[0]); l.setAttribute('y2', b[1]);
  l.setAttribute('class', className);
  parent.appendChild(l);
}

function circle(parent, c, r, className) {
  const e = document.createElementNS(SVG, 'circle');
  e.setAttribute('cx', c[0]); e.setAttribute('cy', c[1]); e.setAttribute('r', r);
  e.setAttribute('class', className);
  parent.appendChild(e);
}

function setDemo(next) {
  const key = next ? next.exercise : '';
  $('demo-box').hidden = !next;
  if (key === demoKey) return;
  demo = next; demoKey = key; demoStart = performance.now();
}

function demoPose(now) {
  // there and back once per `seconds`; alternating sides take turns, one cycle each
  const cycle = (now - demoStart) / 1000 / demo.seconds;
  const share = (1 - Math.cos(2 * Math.PI * (cycle % 1))) / 2;
  const turn = demo.alternate ? (Math.floor(cycle) % 2 === 0 ? 'left' : 'right') : null;
  const pose = {};
  for (const joint of Object.keys(demo.rest)) {
    const moves = !turn || joint.startsWith(turn);
    const [r, g] = [demo.rest[joint], demo.goal[joint]];
    const s = moves ? share : 0;
    pose[joint] = [r[0] + (g[0] - r[0]) * s, -(r[1] + (g[1] - r[1]) * s)];  // y down on screen
  }
  return pose;
}

function drawDemo(now) {
  if (demo) {
    const svg = $('demo');
    const pose = demoPose(now);
    svg.replaceChildren();
    for (const [a, b] of demo.bones) {
      const moving = demo.rest[b][0] !== demo.goal[b][0] || demo.rest[b][1] !== demo.goal[b][1];
      line(svg, pose[a], pose[b], moving ? 'bone moving' : 'bone');
    }
    circle(svg, pose.head, 0.11, 'head');
  }
  tickRest();
  requestAnimationFrame(drawDemo);
}

function drawSkeleton(points) {
  const svg = $('skeleton');
  if ($('skeleton-box').hidden) return;
  svg.replaceChildren();
  const at = (i) => (points[i] ? [1 - points[i][0], points[i][1]] : null);  // mirrored
  for (const [a, b] of BONES) {
    const [pa, pb] = [at(a), at(b)];
    if (pa && pb) line(svg, pa, pb, 'bone');
  }
  if (at(0)) circle(svg, at(0), 0.03, 'head');
}

$('pause').addEventListener('click', () => {
  if (socket && socket.readyState === WebSocket.OPEN && state) {
    socket.send(JSON.stringify({ type: 'pause', paused: !state.paused }));
  }
});
$('help').addEventListener('click', () => {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'help' }));
});

showBanner(NOT_CONNECTED);
connect();
requestAnimationFrame(drawDemo);
