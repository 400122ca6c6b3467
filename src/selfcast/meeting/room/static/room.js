// The built-in room: a WebRTC mesh (up to 6) with WebSocket signalling, names, chat and leave.
// The newcomer offers to everyone already there; signalling drops (server restart) reconnect and
// keep the existing peer connections, since media flows peer to peer.
(() => {
  const $ = (id) => document.getElementById(id);
  const CFG = JSON.parse($('room-config').textContent || '{}');  // inert JSON: the page runs no inline script
  const params = new URLSearchParams(location.search);
  // The output view (``/room/<id>/page``, a session's page_url): the avatar alone, full-frame, its
  // voice playing, the page's microphone as the meeting's sound; joined on load, no camera, no chrome.
  const OUTPUT = CFG.view === 'output';
  const token = params.get('t') || '';
  // The server names each peer and hands it a key; presenting the key on a reconnect keeps the
  // same id (so existing peer connections carry on). Per tab, so two tabs are two people.
  const idKey = 'selfcast-peer-key-' + CFG.roomId;
  let peerKey = sessionStorage.getItem(idKey) || '';

  let localStream = null, ws = null, me = null, joined = false, terminal = false, myName = '';
  let backoff = 300, audioCtx = null;
  const peers = new Map();  // id -> {pc, tile, video, name, pending: [], analyser}
  const seenChat = new Set();
  const R = window.__room = {peers, state: () => document.body.dataset.state, reconnects: 0};

  const setState = (s) => { document.body.dataset.state = s; };
  $('title').textContent = CFG.title || '';
  $('name').value = params.get('name') || '';

  function notice(state, title, text) {
    terminal = true; setState(state);
    $('lobby').hidden = true; $('call').hidden = true; $('toolbar').hidden = true;
    $('notice').hidden = false; $('notice-title').textContent = title; $('notice-text').textContent = text || '';
    for (const id of [...peers.keys()]) closePeer(id);
    if (localStream) localStream.getTracks().forEach((t) => t.stop());
    joined = false; updateCount();
  }

  async function startPreview() {
    const tries = OUTPUT ? [{audio: true}]
      : [{video: {width: 1280, height: 720, frameRate: 30}, audio: true}, {audio: true}, {video: true}];
    for (const c of tries) {
      try { localStream = await navigator.mediaDevices.getUserMedia(c); break; } catch (e) { /* try the next */ }
    }
    if (!localStream) localStream = new MediaStream();
    $('preview').srcObject = localStream;
  }
  const previewReady = startPreview();

  function updateCount() {
    const n = joined ? peers.size + 1 : 0;
    $('count').textContent = joined ? `${n} in call` : '';
    if (OUTPUT) document.body.dataset.alone = joined && peers.size === 0 ? '1' : '0';  // the avatar not (yet, still) there
  }

  function makeTile(id, name, self) {
    const tile = document.createElement('div');
    tile.className = 'tile'; tile.setAttribute('role', 'listitem');
    tile.dataset.peerId = id; tile.dataset.name = name; tile.dataset.speaking = '0';
    if (self) tile.dataset.self = '1';
    const video = document.createElement('video');
    video.autoplay = true; video.playsInline = true; if (self) video.muted = true;
    const label = document.createElement('span'); label.className = 'label';
    label.textContent = self ? `${name} (you)` : name;
    tile.append(video, label);
    if (!self) {
      const kick = document.createElement('button');
      kick.className = 'kick'; kick.type = 'button'; kick.textContent = 'Remove';
      kick.setAttribute('aria-label', `Remove ${name}`);
      kick.onclick = () => sendWs({type: 'kick', peer: id});
      tile.append(kick);
    }
    $('grid').append(tile);
    return {tile, video, label};
  }

  function sendWs(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }
  const sendSignal = (to, data) => sendWs({type: 'signal', to, data});

  const PLAYOUT_MS = {video: 80, audio: 60};

  function tuneSender(sender) {
    if (!sender.track || sender.track.kind !== 'video') return;
    const p = sender.getParameters();
    p.degradationPreference = 'maintain-framerate';
    if (p.encodings && p.encodings.length) p.encodings[0].maxBitrate = 2500000;
    sender.setParameters(p).catch(() => {});
  }

  function createPeer(id, name, initiator) {
    const pc = new RTCPeerConnection({iceServers: CFG.ice || []});
    const {tile, video, label} = makeTile(id, name, false);
    const entry = {pc, tile, video, label, name, pending: [], stream: null};
    peers.set(id, entry); updateCount();
    for (const t of localStream.getTracks()) pc.addTrack(t, localStream);
    // An offer carries only the kinds it has a line for: a newcomer without a camera (the output
    // view, or no camera found) still asks to receive video, and without a mic, audio.
    if (initiator) {
      for (const kind of ['audio', 'video']) {
        if (!localStream.getTracks().some((t) => t.kind === kind)) pc.addTransceiver(kind, {direction: 'recvonly'});
      }
    }
    pc.onicecandidate = (e) => { if (e.candidate) sendSignal(id, {candidate: e.candidate.toJSON()}); };
    pc.ontrack = (e) => {
      // Fixed playout delays keep lips and voice in step from a reply's first word: left to
      // itself the receiver held video 35 ms while a face was still and 67 ms once it talked (so
      // each reply began with the mouth ~50 ms ahead of the sound and drifted back over 8 s), and
      // audio 20-50 ms from run to run.
      if ('jitterBufferTarget' in e.receiver) e.receiver.jitterBufferTarget = PLAYOUT_MS[e.track.kind] || null;
      const stream = e.streams[0] || new MediaStream([e.track]);
      if (video.srcObject !== stream) { video.srcObject = stream; entry.stream = stream; }
      if (e.track.kind === 'video') tile.dataset.video = '1';
      video.play().catch(() => { if (OUTPUT) askForSound(video); });
      if (e.track.kind === 'audio') watchLevel(entry, stream);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') pc.getSenders().forEach(tuneSender);
      tile.dataset.connection = pc.connectionState;
    };
    if (initiator) {
      pc.onnegotiationneeded = async () => {
        await pc.setLocalDescription();
        sendSignal(id, {description: pc.localDescription.toJSON()});
      };
    }
    return entry;
  }

  // A plain browser tab may refuse to play sound before a click: one full-frame button asks for it
  // (the meeting bots' browsers allow autoplay, so they never show it).
  function askForSound(video) {
    if ($('sound')) return;
    const b = document.createElement('button');
    b.id = 'sound'; b.type = 'button'; b.textContent = 'Click to turn on the avatar\u2019s sound';
    b.onclick = () => { b.remove(); for (const e of peers.values()) e.video.play().catch(() => {}); if (audioCtx) audioCtx.resume(); };
    document.body.append(b);
  }

  function closePeer(id) {
    const e = peers.get(id);
    if (!e) return;
    peers.delete(id);
    try { e.pc.close(); } catch (err) { /* closed */ }
    e.tile.remove(); updateCount();
  }

  // Start the video bandwidth estimate high, so 720p is reached in a second, not after a slow
  // ramp from 300 kbps (peers in a room are usually on a LAN or loopback).
  function withStartBitrate(desc) {
    if (!desc.sdp || !CFG.startKbps) return desc;
    const sdp = desc.sdp.replace(/^(a=fmtp:\d+ .*)$/gm, (line) =>
      /x-google-start-bitrate/.test(line) || !/apt=|profile-id|packetization-mode|level-asymmetry/.test(line) && !/VP8|VP9|AV1/.test(line)
        ? line : `${line};x-google-start-bitrate=${CFG.startKbps}`);
    const vp8 = [...desc.sdp.matchAll(/^a=rtpmap:(\d+) VP8\/90000/gm)].map((m) => m[1]);
    let out = sdp;
    for (const pt of vp8) {
      if (!new RegExp(`^a=fmtp:${pt} `, 'm').test(out)) {
        out = out.replace(new RegExp(`^(a=rtpmap:${pt} VP8/90000)$`, 'm'), `$1\r\na=fmtp:${pt} x-google-start-bitrate=${CFG.startKbps}`);
      }
    }
    return {type: desc.type, sdp: out};
  }

  async function onSignal(from, data) {
    let e = peers.get(from);
    if (!e) e = createPeer(from, '…', false);
    const pc = e.pc;
    if (data.description) {
      await pc.setRemoteDescription(withStartBitrate(data.description));
      if (data.description.type === 'offer') {
        await pc.setLocalDescription();
        sendSignal(from, {description: pc.localDescription.toJSON()});
      }
      for (const c of e.pending.splice(0)) await pc.addIceCandidate(c).catch(() => {});
    } else if (data.candidate) {
      if (pc.remoteDescription) await pc.addIceCandidate(data.candidate).catch(() => {});
      else e.pending.push(data.candidate);
    }
  }

  function watchLevel(entry, stream) {
    if (!audioCtx || entry.analyser) return;
    const src = audioCtx.createMediaStreamSource(stream);
    entry.analyser = audioCtx.createAnalyser(); entry.analyser.fftSize = 512;
    src.connect(entry.analyser);
  }
  setInterval(() => {
    const buf = new Float32Array(512);
    for (const e of peers.values()) {
      if (!e.analyser) continue;
      e.analyser.getFloatTimeDomainData(buf);
      let s = 0; for (const v of buf) s += v * v;
      e.tile.dataset.speaking = Math.sqrt(s / buf.length) > 0.02 ? '1' : '0';
    }
  }, 200);

  function addChat(m) {
    if (seenChat.has(m.id)) return;
    seenChat.add(m.id);
    const div = document.createElement('div');
    div.className = 'msg'; div.dataset.messageId = m.id; div.dataset.from = m.from;
    const a = document.createElement('span'); a.className = 'author'; a.textContent = m.name;
    const t = document.createElement('span'); t.className = 'text'; t.textContent = m.text;
    div.append(a, t); $('chat-log').append(div);
    $('chat-log').scrollTop = $('chat-log').scrollHeight;
  }

  function onMessage(m) {
    if (m.type === 'welcome') {
      backoff = 300;
      me = m.you; myName = m.name;
      if (m.key) { peerKey = m.key; sessionStorage.setItem(idKey, peerKey); }
      if (!joined) {
        joined = true;
        $('lobby').hidden = true; $('call').hidden = false; $('toolbar').hidden = false;
        const self = makeTile(me, myName, true); self.video.srcObject = localStream;
        self.tile.dataset.selfName = myName;
      } else {
        R.reconnects++;
      }
      setState('joined');
      if (m.role === 'host') { R.host = true; $('end').hidden = false; document.body.dataset.host = '1'; }
      for (const p of m.peers) {
        const e = peers.get(p.id);
        const broken = e && ['failed', 'closed'].includes(e.pc.connectionState);
        if (broken) closePeer(p.id);
        if (!e || broken) createPeer(p.id, p.name, true);
        else { e.name = p.name; e.tile.dataset.name = p.name; e.label.textContent = p.name; }
      }
      (m.chat || []).forEach(addChat);
      updateCount();
    } else if (m.type === 'peer-joined') {
      const e = peers.get(m.id);
      if (e) { e.name = m.name; e.tile.dataset.name = m.name; e.label.textContent = m.name; }
      else createPeer(m.id, m.name, false);
    } else if (m.type === 'peer-left') {
      closePeer(m.id);
    } else if (m.type === 'signal') {
      onSignal(m.from, m.data).catch((err) => console.warn('signal', err));
    } else if (m.type === 'chat') {
      addChat(m);
    } else if (m.type === 'ended') {
      notice('ended', 'Meeting ended', m.message);
    } else if (m.type === 'removed') {
      notice('removed', "You've been removed from the meeting", '');
    } else if (m.type === 'error') {
      if (m.code === 'bad_input' && !joined) { $('lobby-error').textContent = m.message; setState('lobby'); terminal = true; return; }
      const titles = {full: 'This room is full', denied: 'You can\u2019t join this meeting', not_found: 'Meeting not found'};
      notice(m.code, titles[m.code] || 'Cannot join', m.message);
    }
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${proto}://${location.host}/room/${encodeURIComponent(CFG.roomId)}/ws?t=${encodeURIComponent(token)}`);
    ws.onopen = () => sendWs({type: 'join', name: myName || $('name').value.trim(), key: peerKey});
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = (e) => {
      if (terminal) return;
      // 4000: this peer's key was presented on another connection (the page duplicated into a
      // second tab); reconnecting would only take it back, over and over.
      if (e.code === 4000) { notice('replaced', 'You joined from another window', 'You can close this page.'); return; }
      if (joined) setState('reconnecting');
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 3000);
    };
  }

  $('join').onclick = async () => {
    const name = $('name').value.trim();
    if (!name && !token.includes('.')) { $('lobby-error').textContent = 'Enter your name to join.'; return; }
    $('lobby-error').textContent = ''; terminal = false;
    setState('joining');
    audioCtx = audioCtx || new AudioContext();
    await previewReady;
    connect();
  };
  $('name').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('join').click(); });

  $('chat-form').onsubmit = (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    if (text) sendWs({type: 'chat', text});
    $('chat-input').value = '';
  };
  $('chat-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('chat-form').requestSubmit(); }
  });

  function toggle(kind, btn, onLabel, offLabel) {
    const tracks = localStream ? localStream.getTracks().filter((t) => t.kind === kind) : [];
    const on = btn.getAttribute('aria-pressed') !== 'true';
    tracks.forEach((t) => { t.enabled = on; });
    btn.setAttribute('aria-pressed', String(on)); btn.textContent = on ? onLabel : offLabel;
  }
  $('mic').onclick = () => toggle('audio', $('mic'), 'Mic on', 'Mic off');
  $('cam').onclick = () => toggle('video', $('cam'), 'Camera on', 'Camera off');
  $('end').onclick = () => { if (confirm('End the meeting for everyone?')) sendWs({type: 'end'}); };
  $('leave').onclick = () => {
    sendWs({type: 'leave'});
    terminal = true;
    if (ws) ws.close();
    notice('left', 'You left the meeting', 'You can close this page.');
  };
  window.addEventListener('pagehide', () => sendWs({type: 'leave'}));
  if (OUTPUT) {  // the invitation names this participant: nothing to ask, join at once
    setState('joining');
    audioCtx = new AudioContext();
    previewReady.then(connect);
  }
})();
