// Each take's player and picture: a playhead follows the sound; a click on the picture seeks.
for (const take of document.querySelectorAll(".take")) {
  const audio = take.querySelector("audio");
  const svg = take.querySelector("svg.picture");
  if (!audio || !svg) continue;
  const head = svg.querySelector(".playhead");
  const width = svg.viewBox.baseVal.width;
  const seconds = parseFloat(svg.dataset.seconds) || audio.duration;
  const move = () => {
    const x = Math.min(width, (audio.currentTime / seconds) * width);
    head.setAttribute("x1", x);
    head.setAttribute("x2", x);
    take.classList.toggle("playing", audio.currentTime > 0);
  };
  audio.addEventListener("timeupdate", move);
  audio.addEventListener("seeked", move);
  svg.addEventListener("click", (event) => {
    const box = svg.getBoundingClientRect();
    audio.currentTime = ((event.clientX - box.left) / box.width) * seconds;
    audio.play().catch(() => {});
  });
}
