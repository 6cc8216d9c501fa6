// The alert list, live: new alerts arrive over a WebSocket; acknowledging posts with the
// page's CSRF token. After a lost connection it reloads the page (the list may have changed).
'use strict';
const list = document.getElementById('alerts');
const empty = document.getElementById('no-alerts');
const status = document.getElementById('connection');
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function timeText(epoch) {
  const language = document.documentElement.lang === 'en' ? 'en-GB' : 'nb-NO';
  return new Date(epoch * 1000).toLocaleString(language);
}

function span(cls, text) {
  const el = document.createElement('span');
  el.className = cls;
  el.textContent = text;   // text, never HTML: a detail cannot inject markup
  return el;
}

function addAlert(a) {
  if (list.querySelector(`li[data-id="${Number(a.id)}"]`)) return;
  const li = document.createElement('li');
  li.className = 'alert' + (a.urgent ? ' urgent' : '');
  li.dataset.id = String(Number(a.id));
  if (a.urgent) {
    const strong = document.createElement('strong');
    strong.textContent = list.dataset.urgent;
    li.append(strong);
  }
  const link = document.createElement('a');
  link.className = 'name';
  link.href = '/patients/' + encodeURIComponent(a.pseudonym);
  link.textContent = a.name;
  li.append(link, span('reason', a.reason_text || a.reason), span('detail', a.detail));
  const time = document.createElement('time');
  time.textContent = timeText(a.time);
  li.append(time, span('robot', a.robot));
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = list.dataset.acknowledge;
  button.addEventListener('click', () => acknowledge(li));
  li.append(button);
  list.prepend(li);
  empty.hidden = true;
}

async function acknowledge(li) {
  const response = await fetch(`/alerts/${li.dataset.id}/acknowledge`, {
    method: 'POST', credentials: 'same-origin',
    headers: {'content-type': 'application/json', 'x-csrf-token': csrf}, body: '{}'});
  if (response.ok) {
    li.remove();
    empty.hidden = list.children.length > 0;
  }
}

for (const li of list.querySelectorAll('li')) {
  const form = li.querySelector('form.acknowledge');
  form.addEventListener('submit', (event) => { event.preventDefault(); acknowledge(li); });
  const time = li.querySelector('time[data-epoch]');
  time.textContent = timeText(parseFloat(time.dataset.epoch));
}

function connect() {
  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/alerts');
  socket.onopen = () => { status.textContent = status.dataset.live; status.dataset.state = 'live'; };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'reload') location.reload();
    else addAlert(message);
  };
  socket.onclose = () => {
    status.textContent = status.dataset.offline;
    status.dataset.state = 'offline';
    setTimeout(() => location.reload(), 3000);
  };
}
connect();
