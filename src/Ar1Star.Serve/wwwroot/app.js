'use strict';
// The page of `ar1 serve`: camera preview, class slots, teach (countdown, 100 frames uploaded
// while captured, learning progress), live top-3 predictions, reset, save, and image files for machines
// without a camera. It talks to the JSON API only; nothing here needs a build step.

const FRAMES_PER_TEACH = 100;
const CAPTURE_INTERVAL_MS = 30;
// Frames go up in groups while the rest are captured, so the server computes their latents meanwhile
// and learning after the last frame is quick (docs/server.md#incoming-teach).
const FRAMES_PER_UPLOAD = 10;
const PREDICT_INTERVAL_MS = 200;
const COUNTDOWN_S = 3;

const $ = (id) => document.getElementById(id);
const video = $('video');
const canvas = $('canvas');
const PREPARING_POLL_MS = 1000;
const page = { status: null, classes: [], shown: 2, stream: null, teaching: false, learnt: false, ready: false, fileResultUntil: 0 };

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status} with a body that is not JSON` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function say(text, isError = false) {
  const message = $('message');
  message.textContent = text;
  message.classList.toggle('error', isError);
}

// ---- camera -------------------------------------------------------------------------------

async function startCamera() {
  const box = $('camera-message');
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showCameraProblem('This browser offers no camera to this page (cameras need https or http://localhost). ' +
      'You can still teach and predict with image files.');
    return;
  }
  try {
    page.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    video.srcObject = page.stream;
    await video.play();
    box.hidden = true;
    $('camera-button').textContent = 'Stop camera';
    updateButtons();
  } catch (e) {
    const reasons = {
      NotAllowedError: 'Camera access was refused. Allow the camera for this page in the browser\'s site settings, then press "Start camera".',
      SecurityError: 'Camera access is blocked for this page (it needs https or http://localhost).',
      NotFoundError: 'No camera was found. Connect one and press "Start camera".',
      OverconstrainedError: 'No camera was found that can deliver video.',
      NotReadableError: 'The camera is in use by another application, or could not be started.',
    };
    showCameraProblem(`${reasons[e.name] || `The camera could not be started (${e.name}: ${e.message}).`} ` +
      'Meanwhile you can teach and predict with image files.');
  }
}

function stopCamera() {
  for (const track of page.stream ? page.stream.getTracks() : []) track.stop();
  page.stream = null;
  video.srcObject = null;
  $('camera-button').textContent = 'Start camera';
  updateButtons();
}

function showCameraProblem(text) {
  const box = $('camera-message');
  box.textContent = text;
  box.hidden = false;
  page.stream = null;
  $('camera-button').textContent = 'Start camera';
  updateButtons();
}

const cameraReady = () => page.stream && video.videoWidth > 0;

// The learner sees the centred square of the frame at its own size, as the dashed box shows.
function captureFrame() {
  const side = page.status.imageSize;
  canvas.width = side;
  canvas.height = side;
  const crop = Math.min(video.videoWidth, video.videoHeight);
  const context = canvas.getContext('2d');
  context.drawImage(video, (video.videoWidth - crop) / 2, (video.videoHeight - crop) / 2, crop, crop, 0, 0, side, side);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
}

// ---- classes --------------------------------------------------------------------------------

// While the server prepares its learner (docs/server.md#getting-ready) the page shows what it is
// doing and asks again every second; teaching, predicting, saving and resetting wait for it.
function showPreparation(status) {
  const banner = $('preparing');
  page.ready = status.state === 'ready';
  banner.hidden = page.ready;
  banner.classList.toggle('error', status.state === 'failed');
  const bar = $('preparing-progress');
  if (status.state === 'failed') {
    $('preparing-text').textContent = `The learner could not be prepared: ${status.error}`;
    $('preparing-activity').textContent = 'The server stops; see its console, fix the cause and start it again.';
    bar.hidden = true;
  } else if (!page.ready) {
    const p = status.progress;
    $('preparing-text').textContent = 'The learner is getting ready: teaching and predicting start when it is.';
    $('preparing-activity').textContent = status.activity || ''; // with the pretraining's estimate, where it has one
    bar.hidden = false;
    if (p) bar.value = p.epoch / p.epochs; else bar.removeAttribute('value'); // no value: an indeterminate bar
  }
  updateButtons();
}

async function waitUntilReady() {
  for (;;) {
    let status;
    try {
      status = await api('/api/status');
    } catch (e) {
      say(`The server did not answer: ${e.message}`, true);
      return false;
    }
    page.status = status;
    showPreparation(status);
    if (status.state !== 'preparing') return status.state === 'ready';
    await sleep(PREPARING_POLL_MS);
  }
}

async function refresh() {
  page.status = await api('/api/status');
  showPreparation(page.status);
  if (!page.ready) {
    if (await waitUntilReady()) await refresh();
    return;
  }
  page.classes = (await api('/api/classes')).classes;
  page.learnt = page.status.batchesLearnt > 0;
  const used = page.classes.filter((c) => c.learnt || c.images > 0 || c.name !== `class ${c.class}`);
  const highest = used.length ? Math.max(...used.map((c) => c.class)) + 2 : 2;
  page.shown = Math.min(page.status.numClasses, Math.max(page.shown, highest));
  const info = page.status.info || {};
  $('facts').textContent = [
    `${page.status.batchesLearnt} batch${page.status.batchesLearnt === 1 ? '' : 'es'} learnt`,
    `${page.status.imageSize}x${page.status.imageSize} images`,
    ...Object.entries(info).map(([k, v]) => `${k}: ${v}`),
    page.status.stateDir ? `state: ${page.status.stateDir}` : 'no state folder (save disabled)',
  ].join(' · ');
  $('predictions-hint').hidden = page.learnt;
  renderSlots();
}

function renderSlots() {
  const list = $('slots');
  const focused = document.activeElement && document.activeElement.id;
  list.replaceChildren(...page.classes.slice(0, page.shown).map(slotElement));
  if (focused && $(focused)) $(focused).focus();
  updateButtons();
}

function slotElement(c) {
  const item = document.createElement('li');
  item.className = c.learnt ? 'learnt' : '';
  item.dataset.class = c.class;
  const key = c.class < 9 ? ` (key ${c.class + 1})` : '';
  item.innerHTML = `
    <label class="visually-hidden" for="name-${c.class}">Name of class ${c.class}</label>
    <input type="text" id="name-${c.class}" maxlength="60" autocomplete="off">
    <p class="slot-count"></p>
    <div class="row">
      <button type="button" class="teach" id="teach-${c.class}">Teach${key}</button>
      <label class="file-button">Teach from files<input type="file" accept="image/*" multiple id="files-${c.class}"></label>
    </div>`;
  const name = item.querySelector('input[type=text]');
  name.value = c.name;
  name.addEventListener('change', () => rename(c.class, name.value));
  name.addEventListener('keydown', (e) => { if (e.key === 'Enter') name.blur(); });
  item.querySelector('.slot-count').textContent = !c.learnt ? 'not taught yet' : c.images ? `learnt (${c.images} images this session)` : 'learnt';
  item.querySelector('.teach').addEventListener('click', () => teachFromCamera(c.class));
  item.querySelector('input[type=file]').addEventListener('change', (e) => {
    const files = [...e.target.files];
    e.target.value = '';
    if (files.length) teach(c.class, files.map((f) => [f, f.name]), `${files.length} file${files.length === 1 ? '' : 's'}`);
  });
  return item;
}

async function rename(id, name) {
  try {
    const saved = await api(`/api/classes/${id}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
    page.classes[id] = saved;
    say(`Class ${id} is now "${saved.name}".`);
  } catch (e) {
    say(`Renaming failed: ${e.message}`, true);
  }
}

function updateButtons() {
  for (const button of document.querySelectorAll('button.teach')) button.disabled = page.teaching || !page.ready || !cameraReady();
  for (const input of document.querySelectorAll('#slots input[type=file]')) input.disabled = page.teaching || !page.ready;
  $('reset').disabled = page.teaching || !page.ready;
  $('save').disabled = !page.ready || !(page.status && page.status.stateDir);
  $('add-slot').disabled = !page.ready || !page.status || page.shown >= page.status.numClasses;
  $('predict-file').disabled = !page.ready;
  $('export').setAttribute('aria-disabled', String(!page.ready));
  $('export').tabIndex = page.ready ? 0 : -1;
}

// ---- teach ------------------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function teachFromCamera(id) {
  if (page.teaching || !cameraReady()) return;
  page.teaching = true;
  updateButtons();
  const overlay = $('overlay');
  overlay.hidden = false;
  const name = page.classes[id].name;
  let incoming = null;
  try {
    for (let s = COUNTDOWN_S; s > 0; s--) {
      overlay.textContent = String(s);
      await sleep(1000);
    }
    const opened = new FormData();
    opened.append('label', String(id));
    incoming = (await api('/api/incoming', { method: 'POST', body: opened })).id;
    // One upload at a time, in capture order; capturing goes on meanwhile.
    let uploads = Promise.resolve();
    let group = new FormData();
    for (let i = 0; i < FRAMES_PER_TEACH; i++) {
      overlay.textContent = `${i + 1} / ${FRAMES_PER_TEACH}`;
      group.append('images', await captureFrame(), `frame-${String(i).padStart(3, '0')}.jpg`);
      if ((i + 1) % FRAMES_PER_UPLOAD === 0 || i + 1 === FRAMES_PER_TEACH) {
        const form = group;
        uploads = uploads.then(() => api(`/api/incoming/${incoming}/images`, { method: 'POST', body: form }));
        uploads.catch(() => {}); // reported once, where it is awaited below
        group = new FormData();
      }
      await sleep(CAPTURE_INTERVAL_MS);
    }
    overlay.hidden = true;
    $('progress-label').textContent = `Uploading the last frames of "${name}"…`;
    await uploads;
    await follow(api(`/api/incoming/${incoming}/learn?wait=false`, { method: 'POST' }), name);
    incoming = null;
  } catch (e) {
    say(`Teaching "${name}" failed: ${e.message}`, true);
  } finally {
    // A teach left open by a failure is dropped, its frames with it.
    if (incoming !== null) fetch(`/api/incoming/${incoming}`, { method: 'DELETE' }).catch(() => {});
    overlay.hidden = true;
    page.teaching = false;
    updateButtons();
  }
}

async function teach(id, files, what) {
  const name = page.classes[id].name;
  const form = new FormData();
  form.append('label', String(id));
  for (const [blob, fileName] of files) form.append('images', blob, fileName);
  page.teaching = true;
  updateButtons();
  try {
    $('progress-label').textContent = `Uploading ${what} of "${name}"…`;
    await follow(api('/api/learn?wait=false', { method: 'POST', body: form }), name);
  } catch (e) {
    say(`Teaching "${name}" failed: ${e.message}`, true);
  } finally {
    page.teaching = false;
    updateButtons();
  }
}

// Shows a teach job's progress until it is learnt; throws if it failed or was withdrawn.
async function follow(started, name) {
  const label = $('progress-label');
  const progress = $('progress');
  try {
    let job = await started;
    while (job.state === 'queued' || job.state === 'learning') {
      label.textContent = job.state === 'queued' ? `Waiting for the previous batch…`
        : job.epoch === 0 ? `Learning "${name}": encoding ${job.images} images…` : `Learning "${name}": epoch ${job.epoch} of ${job.epochs}`;
      progress.value = job.epochs ? job.epoch / (job.epochs + 1) : 0;
      await sleep(150);
      job = await api(`/api/jobs/${job.id}`);
    }
    if (job.state !== 'done') throw new Error(job.error || `the batch was ${job.state}`);
    progress.value = 1;
    label.textContent = 'Done';
    say(`Learnt ${job.images} images of "${name}" in ${job.seconds.toFixed(2)} s (batch ${job.batch}).`);
    await refresh();
  } catch (e) {
    label.textContent = 'Idle';
    progress.value = 0;
    throw e;
  }
}

// ---- predict ----------------------------------------------------------------------------------

function renderPredictions(top, source) {
  const list = $('predictions');
  list.dataset.updates = String(Number(list.dataset.updates || 0) + 1); // lets a watcher tell answers apart
  list.replaceChildren(...top.map((s) => {
    const item = document.createElement('li');
    item.dataset.class = s.class;
    const pct = `${Math.round(s.probability * 100)}%`;
    item.innerHTML = '<span class="name"></span><span class="bar"><span></span></span><span class="pct"></span>';
    item.querySelector('.name').textContent = s.name;
    item.querySelector('.bar span').style.width = pct;
    item.querySelector('.pct').textContent = pct;
    return item;
  }));
  $('predictions-source').textContent = source;
}

async function predict(blob, fileName) {
  const form = new FormData();
  form.append('image', blob, fileName);
  return (await api('/api/predict', { method: 'POST', body: form })).top;
}

async function predictLoop() {
  for (;;) {
    const started = performance.now();
    if (page.ready && page.learnt && cameraReady() && !document.hidden && performance.now() > page.fileResultUntil) {
      try {
        renderPredictions(await predict(await captureFrame(), 'frame.jpg'), 'live from the camera');
      } catch (e) {
        $('predictions-source').textContent = `prediction failed: ${e.message}`;
        if (/nothing learnt/.test(e.message)) page.learnt = false;
      }
    }
    await sleep(Math.max(0, PREDICT_INTERVAL_MS - (performance.now() - started)));
  }
}

// ---- wiring -------------------------------------------------------------------------------------

$('camera-button').addEventListener('click', () => (page.stream ? stopCamera() : startCamera()));
$('predict-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  try {
    renderPredictions(await predict(file, file.name), `from ${file.name}`);
    page.fileResultUntil = performance.now() + 5000;
  } catch (err) {
    say(`Prediction failed: ${err.message}`, true);
  }
});
$('add-slot').addEventListener('click', () => {
  page.shown = Math.min(page.status.numClasses, page.shown + 1);
  renderSlots();
  $(`name-${page.shown - 1}`).focus();
});
$('save').addEventListener('click', async () => {
  try {
    const saved = await api('/api/save', { method: 'POST' });
    say(`Saved ${saved.batchesLearnt} batches to ${saved.saved}.`);
  } catch (e) {
    say(`Saving failed: ${e.message}`, true);
  }
});
$('reset').addEventListener('click', async () => {
  if (!confirm('Forget everything learnt, and the class names?')) return;
  try {
    await api('/api/reset', { method: 'POST' });
    page.shown = 2;
    renderPredictions([], '');
    say('Reset: nothing learnt.');
    await refresh();
  } catch (e) {
    say(`Reset failed: ${e.message}`, true);
  }
});
// Number keys teach the first nine slots, unless typing in a field.
document.addEventListener('keydown', (e) => {
  if (e.target.matches('input, textarea') || e.ctrlKey || e.altKey || e.metaKey) return;
  const n = Number(e.key);
  if (n >= 1 && n <= 9 && n <= page.shown) teachFromCamera(n - 1);
});
video.addEventListener('loadedmetadata', updateButtons);

// The camera starts while the learner may still be getting ready.
startCamera();
refresh().catch((e) => say(`The server did not answer: ${e.message}`, true));
predictLoop();
