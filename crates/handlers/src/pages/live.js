// Keeps a live page current while it is open: every few seconds it fetches the page again and
// swaps in its [data-live] region, unless the reader is typing in it. On the baker's board a
// rise in [data-new] (orders not yet seen) shows in the title and, if the baker turned the sound
// on, plays a short chime. Without this script the page is the same, only reloaded by hand.
(function () {
  "use strict";
  var region = document.querySelector("[data-live]");
  if (!region || !window.fetch || !window.DOMParser) return;
  var every = Number(region.getAttribute("data-live")) || 5000;
  var title = document.title;
  var soundKey = "cakeshop.sound";
  var sound = null;

  function count(element) {
    return Number(element.getAttribute("data-new") || 0);
  }

  function showCount(n) {
    document.title = n > 0 ? "(" + n + " new) " + title : title;
  }

  function chime() {
    if (!sound || !sound.checked || !window.AudioContext) return;
    var context = new AudioContext();
    var tone = context.createOscillator();
    var gain = context.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.6);
  }

  // The sound switch exists only where the script runs, as only the script can play it.
  var soundSlot = document.querySelector("[data-sound-switch]");
  if (soundSlot) {
    var label = document.createElement("label");
    sound = document.createElement("input");
    sound.type = "checkbox";
    sound.checked = window.localStorage && localStorage.getItem(soundKey) === "on";
    sound.addEventListener("change", function () {
      if (window.localStorage) localStorage.setItem(soundKey, sound.checked ? "on" : "off");
    });
    label.appendChild(sound);
    label.appendChild(document.createTextNode(" Chime when an order comes in"));
    soundSlot.appendChild(label);
  }

  function typing() {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function refresh() {
    if (typing()) return Promise.resolve();
    return fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html || typing()) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var next = page.querySelector("[data-live]");
        if (!next || next.innerHTML === region.innerHTML) return;
        var rose = count(next) > count(region);
        region.replaceWith(next);
        region = next;
        // The heading says where the order is at, so it follows too.
        var heading = document.querySelector("main h1");
        var nextHeading = page.querySelector("main h1");
        if (heading && nextHeading) heading.textContent = nextHeading.textContent;
        title = page.title || title;
        showCount(count(region));
        if (rose) chime();
      });
  }

  function loop() {
    refresh().catch(function () {}).then(function () { setTimeout(loop, every); });
  }
  showCount(count(region));
  setTimeout(loop, every);
})();
