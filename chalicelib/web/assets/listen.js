/* "Listen": the page's main content read aloud by the browser's own speech synthesis (nothing leaves
   the browser). A progressive enhancement: the controls are in the HTML but hidden; they are shown
   only when the browser can speak and has a voice for the page's language. Listen starts, Pause and
   Continue toggle, Stop ends; a status line tells screen readers what happens. */
(function () {
  "use strict";
  var box = document.querySelector("[data-listen]");
  var synth = window.speechSynthesis;
  if (!box || !synth || !window.SpeechSynthesisUtterance) { return; }
  var lang = (document.documentElement.lang || "fi").toLowerCase();
  var play = box.querySelector(".listen__play"), stop = box.querySelector(".listen__stop");
  var status = box.querySelector(".listen__status");
  var state = "idle";

  function voiceFor() {
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var voiceLang = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (voiceLang === lang || voiceLang.indexOf(lang + "-") === 0) { return voices[i]; }
    }
    return null;
  }
  function show(next) {
    state = next;
    var labels = box.dataset;
    play.querySelector("span").textContent = next === "speaking" ? labels.labelPause : (next === "paused" ? labels.labelResume : labels.labelListen);
    stop.hidden = next === "idle";
    status.textContent = next === "speaking" ? labels.labelSpeaking : (next === "paused" ? labels.labelPaused : (next === "stopped" ? labels.labelStopped : ""));
  }
  function start() {
    var main = document.getElementById("main");
    var voice = voiceFor();
    if (!main || !voice) { return; }
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(main.innerText);
    utterance.lang = voice.lang;
    utterance.voice = voice;
    utterance.onend = function () { if (state === "speaking") { show("idle"); } };
    synth.speak(utterance);
    show("speaking");
  }
  play.addEventListener("click", function () {
    if (state === "speaking") { synth.pause(); show("paused"); }
    else if (state === "paused") { synth.resume(); show("speaking"); }
    else { start(); }
  });
  stop.addEventListener("click", function () { synth.cancel(); show("stopped"); play.focus(); });
  window.addEventListener("pagehide", function () { synth.cancel(); });

  function offer() {
    if (voiceFor()) { box.hidden = false; show("idle"); }
  }
  offer();
  if (box.hidden && synth.addEventListener) { synth.addEventListener("voiceschanged", offer); }
}());
