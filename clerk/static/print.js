// The print view's one bit of script: a Print button. Without script the
// browser's own print command does the same.
document.addEventListener("DOMContentLoaded", function () {
  var b = document.getElementById("print");
  if (b) b.addEventListener("click", function () { window.print(); });
});
