// Epoch seconds shown in the reader's own time zone and language.
'use strict';
function showTimes(root) {
  const language = document.documentElement.lang === 'en' ? 'en-GB' : 'nb-NO';
  for (const el of root.querySelectorAll('time[data-epoch]')) {
    const epoch = parseFloat(el.dataset.epoch);
    if (!isNaN(epoch)) el.textContent = new Date(epoch * 1000).toLocaleString(language);
  }
}
showTimes(document);
