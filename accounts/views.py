from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import services
from .forms import ProfileForm


@login_required
def profile(request):
    """The signed-in user's own profile: name, security, standing."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_display_name(
            user=request.user, display_name=form.cleaned_data["display_name"]
        )
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def verify(request):
    """Real-name verification (form to follow in the next commit)."""
    return redirect("accounts:profile")
