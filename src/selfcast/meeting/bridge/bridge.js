// selfcast media bridge: an init script that gives the page a camera and microphone driven by
// Python, and hands the meeting's audio back. Injected before any page script runs; the Python
// end prepends `const SELFCAST_CFG = {...};`.
//
// Wire format over the loopback WebSocket (little-endian):
//   Python -> page, binary kind 1 (video):  u8 kind, u8 fmt(0=I420, 1=JPEG), u16 w, u16 h, u16 pad,
//                                           f64 dueEpochMs, then I420 planes or JPEG bytes
//   Python -> page, binary kind 2 (audio):  u8 kind, u8 pad[3], u32 sampleRate, f64 startEpochMs,
//                                           then float32 mono PCM
//   page -> Python, binary kind 3 (audio):  u8 kind, u8 pad[3], u32 sampleRate,
//                                           f64 firstSampleEpochMs, f64 firstSampleIndex (on the
//                                           capture context's clock), then float32 mono PCM
//   text frames carry JSON control messages both ways. Every epoch time is on this page's clock
//   (performance.timeOrigin + performance.now()); Python measures that clock against its own
//   with {type: 'ping', id} -> {type: 'pong', id, epoch} and stamps due times on it.
(() => {
  if (window.top !== window || window.__selfcast) return;
  const CFG = (typeof SELFCAST_CFG !== 'undefined') ? SELFCAST_CFG : {};
  const nowEpoch = () => performance.timeOrigin + performance.now();
  const S = window.__selfcast = {
    cfg: CFG,
    framesWritten: 0, framesLate: 0, latenessSumMs: 0, latenessMaxMs: 0,
    audioChunks: 0, audioLate: 0, audioLateMs: 0,
    remoteAudioTracks: 0, inRms: 0, inChunks: 0,
    width: 0, height: 0, mode: '', connected: false, pcs: [],
  };

  // Nobody watches the bot's screen: not painting videos saves a software-composited 720p
  // stream or two on a CPU-only machine.
  if (CFG.hideVideo) {
    const css = document.createElement('style');
    css.textContent = 'video { visibility: hidden !important; }';
    const add = () => (document.head || document.documentElement).appendChild(css);
    if (document.documentElement) add(); else document.addEventListener('DOMContentLoaded', add);
  }

  // ---------------------------------------------------------------- outgoing video
  // Pictures wait as raw planes ({data, init}) and become a VideoFrame only when written, stamped
  // with that moment. WebRTC takes a frame's timestamp as its capture time (the RTP timestamp, and
  // the receiver's render schedule and audio-video sync follow it). A decoded JPEG is stamped 0,
  // and Chromium keeps the old stamp when a VideoFrame is re-wrapped with a new one, so frames
  // carrying a real stamp must be built from the planes; with stamps of 0 the receiver froze
  // ~200 ms every 0.6 s.
  let videoTrack = null, videoWriter = null, canvas = null, c2d = null, lastPic = null;
  let lastWriteAt = 0;
  function ensureVideo() {
    if (videoTrack) return;
    if (typeof MediaStreamTrackGenerator === 'function' && !CFG.forceCanvas) {
      const gen = new MediaStreamTrackGenerator({kind: 'video'});
      videoWriter = gen.writable.getWriter();
      videoTrack = gen;
      S.mode = 'generator';
    } else {
      canvas = document.createElement('canvas');
      canvas.width = CFG.width || 1280; canvas.height = CFG.height || 720;
      c2d = canvas.getContext('2d');
      videoTrack = canvas.captureStream(30).getVideoTracks()[0];
      S.mode = 'canvas';
    }
    try { videoTrack.contentHint = 'motion'; } catch (e) { /* optional */ }
    const w = CFG.width || 1280, h = CFG.height || 720;
    const black = new Uint8Array(w * h * 3 / 2);
    black.fill(16, 0, w * h); black.fill(128, w * h);
    writePicture({data: black, init: {format: 'I420', codedWidth: w, codedHeight: h}});
    // Keep the camera alive when Python sends nothing: re-send the last picture at 5 fps.
    setInterval(() => {
      if (lastPic && performance.now() - lastWriteAt > 190) writePicture(lastPic);
    }, 200);
  }
  function writePicture(pic) {
    lastWriteAt = performance.now();
    lastPic = pic;
    const frame = new VideoFrame(pic.data, {...pic.init, timestamp: Math.round(lastWriteAt * 1000)});
    if (videoWriter) {
      videoWriter.write(frame).catch(() => {});
    } else {
      c2d.drawImage(frame, 0, 0, canvas.width, canvas.height);
      frame.close();
    }
  }
  const videoQueue = [];  // {due, pic}, ordered by due
  let videoTimer = null;
  function pumpVideo() {
    videoTimer = null;
    const now = nowEpoch();
    // Write the newest picture that is due; drop older due ones (they would only add delay).
    let due = null;
    while (videoQueue.length && videoQueue[0].due <= now + 1) {
      if (due) S.framesLate++;
      due = videoQueue.shift();
    }
    if (due) {
      const late = now - due.due;
      S.latenessSumMs += Math.max(0, late);
      S.latenessMaxMs = Math.max(S.latenessMaxMs, late);
      S.framesWritten++;
      writePicture(due.pic);
    }
    if (videoQueue.length) {
      videoTimer = setTimeout(pumpVideo, Math.max(0, videoQueue[0].due - nowEpoch()));
    }
  }
  function enqueuePicture(due, pic) {
    videoQueue.push({due, pic});
    if (videoQueue.length > 1 && videoQueue[videoQueue.length - 2].due > due) {
      videoQueue.sort((a, b) => a.due - b.due);
    }
    if (videoTimer) clearTimeout(videoTimer);
    videoTimer = setTimeout(pumpVideo, Math.max(0, videoQueue[0].due - nowEpoch()));
  }
  async function decodeJpeg(bytes) {
    let img;
    if (typeof ImageDecoder === 'function') {
      const dec = new ImageDecoder({data: bytes, type: 'image/jpeg'});
      try { img = (await dec.decode()).image; } finally { dec.close(); }
    } else {
      const bmp = await createImageBitmap(new Blob([bytes], {type: 'image/jpeg'}));
      img = new VideoFrame(bmp, {timestamp: 0});
      bmp.close();
    }
    try {
      const data = new Uint8Array(img.allocationSize());
      const layout = await img.copyTo(data);
      return {data, init: {format: img.format, codedWidth: img.codedWidth, codedHeight: img.codedHeight, layout}};
    } finally {
      img.close();
    }
  }
  function onVideo(buf) {
    ensureVideo();
    const dv = new DataView(buf);
    const fmt = dv.getUint8(1);
    const w = dv.getUint16(2, true), h = dv.getUint16(4, true);
    const due = dv.getFloat64(8, true);
    const data = new Uint8Array(buf, 16);
    S.width = w; S.height = h;
    if (fmt === 1) {  // JPEG: a tenth of the bytes; decoded off the main thread
      decodeJpeg(data).then((pic) => enqueuePicture(due, pic)).catch(() => { S.decodeErrors = (S.decodeErrors || 0) + 1; });
      return;
    }
    enqueuePicture(due, {data, init: {format: 'I420', codedWidth: w, codedHeight: h}});
  }

  // ---------------------------------------------------------------- outgoing audio
  // WebAudio schedules every chunk at the context time of its wall-clock due time, so the
  // microphone plays each sample when it belongs, whatever the chunk size or sample rate.
  let outCtx = null, outDest = null, audioTrack = null, anchor = null;
  const scheduled = new Set();
  function ensureAudio() {
    if (audioTrack) return;
    outCtx = new AudioContext({sampleRate: 48000, latencyHint: 'interactive'});
    outDest = outCtx.createMediaStreamDestination();
    // A silent constant source keeps the track producing samples between utterances.
    const keep = outCtx.createConstantSource(); keep.offset.value = 0;
    keep.connect(outDest); keep.start();
    audioTrack = outDest.stream.getAudioTracks()[0];
    outCtx.resume().catch(() => {});
  }
  // Wall clock -> context time. ctx.currentTime read from this thread lags in steps (a headless
  // context renders in batches of 10-40 ms), which put each utterance's start off by a different
  // amount; getOutputTimestamp() pairs a context time with its wall time from the same render
  // callback, so the mapping is steady (off by the output latency, the same for every chunk).
  function ctxTimeFor(epochMs) {
    const ts = outCtx.getOutputTimestamp();
    if (ts.performanceTime > 0) return ts.contextTime + (epochMs - performance.timeOrigin - ts.performanceTime) / 1000;
    return outCtx.currentTime + (epochMs - nowEpoch()) / 1000;
  }
  function onAudio(buf) {
    ensureAudio();
    const dv = new DataView(buf);
    const sr = dv.getUint32(4, true);
    const start = dv.getFloat64(8, true);
    const pcm = new Float32Array(buf, 16);
    if (!pcm.length) return;
    const margin = start - nowEpoch();  // how far ahead of its time the chunk arrived
    S.audioMarginMin = Math.min(S.audioMarginMin === undefined ? Infinity : S.audioMarginMin, margin);
    S.audioMarginSum = (S.audioMarginSum || 0) + margin;
    // Contiguous chunks stay contiguous on the context clock; re-anchor on gaps or drift.
    let when;
    if (anchor && Math.abs(start - anchor.epochEnd) < 2) {
      when = anchor.ctxEnd;
      const drift = when - ctxTimeFor(start);
      if (Math.abs(drift) > 0.02) when = ctxTimeFor(start);
    } else {
      when = ctxTimeFor(start);
    }
    const dur = pcm.length / sr;
    anchor = {epochEnd: start + dur * 1000, ctxEnd: when + dur};
    const ab = outCtx.createBuffer(1, pcm.length, sr);
    ab.copyToChannel(pcm, 0);
    const src = outCtx.createBufferSource();
    src.buffer = ab; src.connect(outDest);
    const t = outCtx.currentTime;
    S.audioChunks++;
    if (when < t) {
      const late = t - when;
      S.audioLate++; S.audioLateMs += late * 1000;
      if (late >= dur) return;
      src.start(t, late);
    } else {
      src.start(when);
    }
    scheduled.add(src);
    src.onended = () => scheduled.delete(src);
  }
  function clearOutput() {
    for (const s of scheduled) { try { s.stop(); } catch (e) { /* already stopped */ } }
    scheduled.clear(); anchor = null;
    videoQueue.length = 0;
  }

  // ---------------------------------------------------------------- camera/mic override
  const md = navigator.mediaDevices;
  if (md) {
    const devices = [
      {deviceId: 'selfcast-camera', kind: 'videoinput', label: CFG.cameraLabel || 'selfcast camera', groupId: 'selfcast'},
      {deviceId: 'selfcast-microphone', kind: 'audioinput', label: CFG.micLabel || 'selfcast microphone', groupId: 'selfcast'},
      {deviceId: 'selfcast-speaker', kind: 'audiooutput', label: 'selfcast speaker', groupId: 'selfcast'},
    ].map((d) => ({...d, toJSON() { return {deviceId: d.deviceId, kind: d.kind, label: d.label, groupId: d.groupId}; }}));
    md.enumerateDevices = async () => devices;
    md.getUserMedia = async (c) => {
      const stream = new MediaStream();
      if (c && c.video) { ensureVideo(); stream.addTrack(videoTrack.clone()); }
      if (c && c.audio) { ensureAudio(); stream.addTrack(audioTrack.clone()); }
      if (!stream.getTracks().length) throw new DOMException('no audio or video requested', 'TypeError');
      return stream;
    };
  }

  // ---------------------------------------------------------------- incoming audio
  const CAPTURE_WORKLET = `
    class SelfcastCapture extends AudioWorkletProcessor {
      constructor() { super(); this.buf = new Float32Array(320); this.n = 0; this.first = 0; }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        for (let i = 0; i < 128; i++) {
          if (this.n === 0) this.first = currentFrame + i;
          this.buf[this.n++] = ch ? ch[i] : 0;
          if (this.n === this.buf.length) {
            this.port.postMessage({first: this.first, pcm: this.buf}, [this.buf.buffer]);
            this.buf = new Float32Array(320); this.n = 0;
          }
        }
        return true;
      }
    }
    registerProcessor('selfcast-capture', SelfcastCapture);`;
  let capCtx = null, capReady = null, mixNode = null;
  const remoteTracks = new Map();  // track.id -> {src, el}
  // All remote audio mixed into one capture node: the meeting as the bot hears it.
  function captureNode() {
    const node = new AudioWorkletNode(capCtx, 'selfcast-capture', {channelCount: 1, channelCountMode: 'explicit'});
    node.port.onmessage = (ev) => {
      const {first, pcm} = ev.data;
      // The first sample's context frame on the page clock (Python stamps by the frame index and
      // uses this only to anchor it).
      const firstEpoch = nowEpoch() - (capCtx.currentTime - first / capCtx.sampleRate) * 1000;
      let s = 0; for (let i = 0; i < pcm.length; i++) s += pcm[i] * pcm[i];
      S.inRms = Math.sqrt(s / pcm.length); S.inChunks++;
      sendAudioIn(capCtx.sampleRate, firstEpoch, first, pcm);
    };
    const sink = capCtx.createGain(); sink.gain.value = 0;
    node.connect(sink); sink.connect(capCtx.destination);
    return node;
  }
  function ensureCapture() {
    if (capReady) return capReady;
    capCtx = new AudioContext({sampleRate: CFG.captureRate || 16000});
    const url = URL.createObjectURL(new Blob([CAPTURE_WORKLET], {type: 'application/javascript'}));
    capReady = capCtx.audioWorklet.addModule(url).then(() => {
      mixNode = captureNode();
      capCtx.resume().catch(() => {});
    });
    return capReady;
  }
  async function onRemoteTrack(track) {
    if (track.kind !== 'audio' || remoteTracks.has(track.id)) return;
    const entry = {};
    remoteTracks.set(track.id, entry);
    S.remoteAudioTracks++;
    await ensureCapture();
    const stream = new MediaStream([track]);
    // Chromium only feeds a remote WebRTC track into WebAudio once a media element plays it.
    const el = new Audio(); el.muted = true; el.srcObject = stream; el.play().catch(() => {});
    entry.el = el;
    entry.src = capCtx.createMediaStreamSource(stream);
    entry.src.connect(mixNode);
    track.addEventListener('ended', () => {
      try { entry.src.disconnect(); } catch (e) { /* gone */ }
      el.srcObject = null; remoteTracks.delete(track.id); S.remoteAudioTracks--;
    });
  }
  const OrigPC = window.RTCPeerConnection;
  if (OrigPC) {
    class SelfcastPC extends OrigPC {
      constructor(...args) {
        super(...args);
        this.addEventListener('track', (e) => { onRemoteTrack(e.track); });
        S.pcs.push(new WeakRef(this));
      }
    }
    window.RTCPeerConnection = SelfcastPC;
    if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = SelfcastPC;
  }

  // ---------------------------------------------------------------- channel to Python
  let ws = null;
  const pendingText = [];
  function send(obj) {
    const s = JSON.stringify(obj);
    if (ws && ws.readyState === 1) ws.send(s); else if (pendingText.length < 100) pendingText.push(s);
  }
  function sendAudioIn(sr, firstEpoch, firstIndex, pcm) {
    if (!ws || ws.readyState !== 1) return;
    const out = new ArrayBuffer(24 + pcm.byteLength);
    const dv = new DataView(out);
    dv.setUint8(0, 3); dv.setUint32(4, sr, true); dv.setFloat64(8, firstEpoch, true);
    dv.setFloat64(16, firstIndex, true);
    new Float32Array(out, 24).set(pcm);
    ws.send(out);
  }
  // Two sockets: control + audio on one, video on the other, so a 1.4 MB frame never holds up
  // a 20 ms audio chunk.
  let vws = null;
  function onBinary(data) {
    const kind = new DataView(data).getUint8(0);
    if (kind === 1) onVideo(data); else if (kind === 2) onAudio(data);
  }
  function connect() {
    if (!CFG.wsUrl) return;
    ws = new WebSocket(CFG.wsUrl + '&ch=ctl');
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      S.connected = true;
      while (pendingText.length) ws.send(pendingText.shift());
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const m = JSON.parse(ev.data);
        if (m.type === 'clear') clearOutput();
        else if (m.type === 'ping') send({type: 'pong', id: m.id, epoch: nowEpoch()});
        return;
      }
      onBinary(ev.data);
    };
    ws.onclose = () => { S.connected = false; setTimeout(connect, 500); };
  }
  function connectVideo() {
    if (!CFG.wsUrl) return;
    vws = new WebSocket(CFG.wsUrl + '&ch=video');
    vws.binaryType = 'arraybuffer';
    vws.onmessage = (ev) => {
      if (typeof ev.data === 'string') return;
      onBinary(ev.data);
      vws.send('a');  // flow control: Python keeps only a few frames in flight
    };
    vws.onclose = () => { setTimeout(connectVideo, 500); };
  }
  let lastStats = {framesWritten: 0, t: performance.now()};
  setInterval(() => {
    const t = performance.now();
    const fps = (S.framesWritten - lastStats.framesWritten) * 1000 / (t - lastStats.t);
    const written = S.framesWritten - lastStats.framesWritten;
    lastStats = {framesWritten: S.framesWritten, t};
    send({type: 'stats', fps, meanLatenessMs: written ? S.latenessSumMs / Math.max(1, S.framesWritten) : 0,
      maxLatenessMs: S.latenessMaxMs, framesWritten: S.framesWritten, framesDropped: S.framesLate,
      audioChunks: S.audioChunks, audioLate: S.audioLate, audioLateMs: S.audioLateMs,
      audioMarginMeanMs: S.audioChunks ? S.audioMarginSum / S.audioChunks : 0, audioMarginMinMs: S.audioMarginMin,
      ctxTime: outCtx ? outCtx.currentTime : 0, ctxBase: outCtx ? outCtx.baseLatency : 0, remoteAudioTracks: S.remoteAudioTracks,
      inRms: S.inRms, inChunks: S.inChunks, mode: S.mode, width: S.width, height: S.height,
      visibility: document.visibilityState, videoQueue: videoQueue.length,
      audioCtx: outCtx ? outCtx.state : 'none'});
  }, 1000);
  S.clearOutput = clearOutput;
  connectVideo();
  // Outgoing video as WebRTC reports it (resolution, fps, why it is limited): for health and bench.
  S.senderStats = async () => {
    const out = [];
    for (const ref of S.pcs) {
      const pc = ref.deref(); if (!pc || pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') out.push({w: r.frameWidth, h: r.frameHeight,
          fps: r.framesPerSecond, limitation: r.qualityLimitationReason, encodeMs: r.framesEncoded ? 1000 * r.totalEncodeTime / r.framesEncoded : 0,
          kbps: 0});
      });
    }
    return out;
  };
  connect();
})();
