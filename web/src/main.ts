/**
 * The demo page: sends a post and an image to POST /v1/recognize as Server-Sent Events and draws the
 * answer as it is made (entities after the LLM, then each entity's entailment, box and mask).
 */
import { ApiError, createClient, type AnswerEntity, type Problem, type RecognizeInput } from '../../shared/client';
import type { LabelSet } from '../../shared/pipeline/contracts';
import { typeColour } from './colours';
import { drawScene } from './draw';
import { renderPost } from './post';
import { SAMPLES } from './samples';

const KEY_STORAGE = 'gmner.apiKey';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const form = $<HTMLFormElement>('form');
const keyInput = $<HTMLInputElement>('key');
const sampleSelect = $<HTMLSelectElement>('sample');
const textInput = $<HTMLTextAreaElement>('text');
const fileInput = $<HTMLInputElement>('file');
const urlInput = $<HTMLInputElement>('url');
const masksInput = $<HTMLInputElement>('masks');
const browserInput = $<HTMLInputElement>('browser-vision');
const runButton = $<HTMLButtonElement>('run');
const canvas = $<HTMLCanvasElement>('canvas');
const figure = $<HTMLElement>('figure');

interface View {
  text: string;
  image: HTMLImageElement | null;
  size: { width: number; height: number } | null;
  entities: AnswerEntity[];
  highlight: number | null;
}
let view: View = { text: '', image: null, size: null, entities: [], highlight: null };

function redraw(): void {
  renderPost($('post'), view.text, view.entities, (i) => {
    view.highlight = i;
    for (const m of $('post').querySelectorAll('mark')) m.classList.toggle('active', m.dataset.index === String(i));
    drawOnly();
  });
  drawOnly();
  const types = [...new Set(view.entities.map((e) => e.type))];
  $('legend').replaceChildren(...types.map((t) => {
    const s = document.createElement('span');
    s.textContent = t;
    s.style.background = typeColour(t);
    s.style.color = '#fff';
    return s;
  }));
}

function drawOnly(): void {
  const counts = drawScene(canvas, view.image, view.size, view.entities, view.highlight);
  figure.dataset.boxes = String(counts.boxes);
  figure.dataset.masks = String(counts.masks);
}

function showError(p: Pick<Problem, 'title' | 'detail'> & { errors?: Problem['errors'] } | null): void {
  $('error').hidden = !p;
  $('error-title').textContent = p ? `${p.title}.` : '';
  $('error-detail').textContent = p ? [p.detail, ...(p.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`)].join(' ') : '';
}

function status(s: string): void {
  $('status').textContent = s;
}

function showTimings(stages: [string, number][], firstEventMs: number | null, totalMs: number): void {
  const rows: [string, number][] = [...stages, ['first event (in this page)', firstEventMs ?? NaN], ['whole answer (in this page)', totalMs]];
  $('timings').replaceChildren(...rows.map(([stage, ms]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    const b = document.createElement('td');
    a.textContent = stage;
    b.textContent = Number.isFinite(ms) ? `${Math.round(ms)} ms` : '—';
    b.className = 'ms';
    tr.append(a, b);
    return tr;
  }));
}

/** The answer as drawn (in browser mode: the API's answer with the page's vision fields and timings). */
function showRaw(answer: object | null): void {
  $('raw-json').textContent = answer ? JSON.stringify(answer, null, 1) : '';
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot show this image'));
    img.src = src;
  });
}

/** The request body and a picture to draw on: multipart for bytes (no base64 inflation), JSON for a URL. */
async function requestOf(browser: boolean): Promise<{ body: FormData | { text: string; image: { url: string }; options: object }; picture: string | null; file: Blob | null }> {
  const source = (form.elements.namedItem('source') as RadioNodeList).value;
  const labels = (form.elements.namedItem('labels') as RadioNodeList).value as LabelSet;
  const options = { labels, masks: masksInput.checked, ...(browser ? { vision: 'none' } : {}) };
  if (source === 'url') {
    // Vision in the page needs the pixels, which a cross-origin URL gives only if its server allows it (CORS).
    const pixels = browser ? await fetch(urlInput.value).then((r) => (r.ok ? r.blob() : Promise.reject(new Error(`HTTP ${r.status}`)))).catch((e: Error) => {
      throw new Error(`This page cannot read the image at that URL (${e.message}); upload it instead.`);
    }) : null;
    return { body: { text: textInput.value, image: { url: urlInput.value }, options }, picture: urlInput.value, file: pixels };
  }
  let file: Blob;
  if (source === 'file') {
    if (!fileInput.files?.[0]) throw new Error('Choose a file to upload.');
    file = fileInput.files[0];
  } else {
    const res = await fetch(SAMPLES[Number(sampleSelect.value)].image);
    file = await res.blob();
  }
  const body = new FormData();
  body.set('text', textInput.value);
  body.set('image', file, file instanceof File ? file.name : 'sample.png');
  body.set('options', JSON.stringify(options));
  return { body, picture: URL.createObjectURL(file), file };
}

async function run(): Promise<void> {
  showError(null);
  $('timings').replaceChildren();
  showRaw(null);
  $('backend').hidden = true;
  delete figure.dataset.backend;
  runButton.disabled = true;
  const t0 = performance.now();
  let firstEvent: number | null = null;
  try {
    const browser = browserInput.checked;
    const { body, picture, file } = await requestOf(browser);
    view = { text: textInput.value, image: null, size: null, entities: [], highlight: null };
    redraw();
    // The picture loads while the server works; a URL the browser cannot show still gets its entities.
    const shown = picture ? loadImage(picture).then((img) => { view.image = img; view.size ??= { width: img.naturalWidth, height: img.naturalHeight }; drawOnly(); }, () => {}) : Promise.resolve();
    if (browser) {
      await runInBrowser(body as FormData, file!, t0, shown);
      return;
    }
    status('Waiting for the LLM…');
    const api = createClient({ baseUrl: location.origin, apiKey: keyInput.value.trim() || undefined });
    const done = { entail: 0, ground: 0, segment: 0 };
    for await (const e of api.recognizeStream(body)) {
      firstEvent ??= performance.now() - t0;
      if (e.event === 'entities') {
        view.entities = e.data.entities;
        status(`${e.data.entities.length} entities; the vision stages are running…`);
      } else if (e.event === 'entity') {
        view.entities[e.data.index] = e.data.entity;
        done[e.data.stage]++;
        status(`${view.entities.length} entities · entailed ${done.entail} · grounded ${done.ground} · segmented ${done.segment}`);
      } else if (e.event === 'answer') {
        await shown;
        view.entities = e.data.entities;
        view.size = { width: e.data.image.width, height: e.data.image.height };
        const boxes = e.data.entities.filter((x) => x.box).length;
        status(`Done: ${e.data.entities.length} entities, ${boxes} boxes${e.data.warnings.length ? ` · ${e.data.warnings.join(' · ')}` : ''}`);
        showTimings(Object.entries(e.data.timings_ms), firstEvent, performance.now() - t0);
        showRaw(e.data);
      } else if (e.event === 'error') {
        showError(e.data);
        status('The pipeline failed after it started.');
      }
      redraw();
    }
  } catch (err) {
    if (err instanceof ApiError) showError(err.problem);
    else showError({ title: 'Request failed', detail: (err as Error).message });
    status('');
  } finally {
    runButton.disabled = false;
  }
}

/** Recognition on the server, vision here: the chunk with ORT and the stages is fetched only now. */
async function runInBrowser(body: FormData | RecognizeInput, file: Blob, t0: number, shown: Promise<void>): Promise<void> {
  status('Loading the vision code…');
  const { browserVision } = await import('./vision/browser-vision');
  const key = keyInput.value.trim();
  const backendTag = new URLSearchParams(location.search).get('backend');
  const vision = await browserVision(location.origin, key, backendTag === 'wasm' || backendTag === 'webgpu' ? backendTag : undefined);
  $('backend').hidden = false;
  $('backend').textContent = `Vision runs in this browser on ${vision.backend === 'webgpu' ? 'WebGPU' : 'WASM'} (onnxruntime-web, model set "${vision.manifest.set}").`;
  figure.dataset.backend = vision.backend;
  status('Waiting for the LLM (the image models load meanwhile)…');
  let firstEvent: number | null = null;
  const labels = (form.elements.namedItem('labels') as RadioNodeList).value as LabelSet;
  const { answer, result } = await vision.run({
    body, image: file, text: textInput.value, labels, masks: masksInput.checked,
    onEvent: (e) => {
      firstEvent ??= performance.now() - t0;
      if (e.type === 'entities') view.entities = e.entities as AnswerEntity[];
      else view.entities[e.index] = e.entity as AnswerEntity;
      status(`${view.entities.length} entities; the vision stages are running in this browser…`);
      redraw();
    },
  });
  await shown;
  view.entities = result.entities as AnswerEntity[];
  view.size = { width: answer.image.width, height: answer.image.height };
  const boxes = result.entities.filter((x) => x.box).length;
  const warnings = [...answer.warnings.filter((w) => !w.startsWith('vision stages skipped')), ...result.warnings];
  status(`Done: ${result.entities.length} entities, ${boxes} boxes, vision in this browser (${vision.backend})${warnings.length ? ` · ${warnings.join(' · ')}` : ''}`);
  const page = Object.entries(result.timings_ms).filter(([k]) => k !== 'recognize' && k !== 'total').map(([k, v]): [string, number] => [`${k} (this browser, ${vision.backend})`, v]);
  showRaw({ ...answer, entities: result.entities, warnings, timings_ms: answer.timings_ms, browser: { backend: vision.backend, timings_ms: result.timings_ms } });
  showTimings([...Object.entries(answer.timings_ms).map(([k, v]): [string, number] => [`${k} (server)`, v]), ...page], firstEvent, performance.now() - t0);
  redraw();
}

function chooseSample(i: number): void {
  textInput.value = SAMPLES[i].text;
  (form.elements.namedItem('source') as RadioNodeList).value = 'sample';
}

keyInput.value = localStorage.getItem(KEY_STORAGE) ?? '';
keyInput.addEventListener('change', () => localStorage.setItem(KEY_STORAGE, keyInput.value.trim()));
sampleSelect.append(...SAMPLES.map((s, i) => new Option(s.name, String(i))));
sampleSelect.addEventListener('change', () => chooseSample(Number(sampleSelect.value)));
fileInput.addEventListener('change', () => ((form.elements.namedItem('source') as RadioNodeList).value = 'file'));
urlInput.addEventListener('input', () => ((form.elements.namedItem('source') as RadioNodeList).value = 'url'));
form.addEventListener('submit', (e) => {
  e.preventDefault();
  localStorage.setItem(KEY_STORAGE, keyInput.value.trim());
  void run();
});
chooseSample(0);
document.body.dataset.ready = 'true';
