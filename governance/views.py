"""Governance pages: report something, my reports, my standing (points,
sanctions, statements, appeals), appeal a decision, and the public transparency
report. Thin: parse, call one service, render."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kernel.private_files import private_file_response
from kernel.ratelimit import rate_limit

from . import selectors, services, transparency_charts
from .exceptions import GovernanceError, NotAppealable, NotReportable
from .forms import AppealForm, ReportForm
from .models import TransparencySnapshot


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("report")
def report_subject(request, content_type_id: int, object_id: str):
    entry, subject = selectors.get_reportable_subject_for_user(
        request.user, content_type_id, object_id
    )
    rules = selectors.rules_for(entry)
    form = ReportForm(request.POST or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_report(
                reporter=request.user,
                subject=subject,
                rule=form.cleaned_data["rule"],
                details=form.cleaned_data["details"],
                now=timezone.now(),
            )
        except NotReportable:
            return render(request, "errors/404.html", status=404)
        except GovernanceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Thank you. Your report was received; we will tell you what moderators decide."),
            )
            return redirect("governance:my_reports")
    return render(
        request,
        "governance/report_form.html",
        {"form": form, "subject": subject, "entry": entry},
    )


@login_required
def my_reports(request):
    reports = selectors.reports_filed_by(request.user)[:200]
    return render(request, "governance/my_reports.html", {"reports": reports})


@login_required
def standing(request):
    data = selectors.standing_for(request.user, now=timezone.now())
    return render(request, "governance/standing.html", {"standing": data})


@login_required
def statement_detail(request, pk: int):
    statement = selectors.get_statement_for_user(request.user, pk)
    return render(
        request,
        "governance/statement_detail.html",
        {
            "statement": statement,
            "can_appeal": selectors.can_appeal(statement.violation, now=timezone.now()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("appeal")
def appeal_create(request, violation_id: int):
    violation = selectors.get_violation_for_user(request.user, violation_id)
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_appeal(
                user=request.user,
                violation_id=violation.pk,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["files"],
                now=timezone.now(),
            )
        except NotAppealable:
            return render(request, "errors/404.html", status=404)
        except GovernanceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Your appeal was sent. A different moderator will decide it.")
            )
            return redirect("governance:standing")
    return render(request, "governance/appeal_form.html", {"form": form, "violation": violation})


@login_required
def appeal_file(request, pk: int):
    item = selectors.get_appeal_file_for_user(request.user, pk)
    return private_file_response(item.file.name, download_name=item.file.name.rsplit("/", 1)[-1])


def transparency(request):
    """Public figures per month, read only from the snapshots the job wrote."""
    snapshots = list(TransparencySnapshot.objects.order_by("-month")[:36])
    fmt = request.GET.get("format", "")
    if fmt == "json":
        return JsonResponse(
            {
                "generated_from": "monthly snapshots",
                "months": [
                    {**s.data, "complete": s.complete, "generated_at": s.generated_at.isoformat()}
                    for s in snapshots
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="handoff-transparency.csv"'
        writer = csv.writer(response)
        writer.writerow(["month", "complete", "metric", "key", "category", "value"])
        for s in snapshots:
            for row in _csv_rows(s):
                writer.writerow([s.data["month"], "yes" if s.complete else "no", *row])
        return response
    titles = transparency_charts.rule_titles()
    months = [
        {"snapshot": s, "charts": transparency_charts.month_charts(s, titles)} for s in snapshots
    ]
    return render(
        request,
        "governance/transparency.html",
        {
            "snapshots": snapshots,
            "months": months,
            "timeline": transparency_charts.timeline(snapshots[:12]),
        },
    )


def _csv_rows(snapshot):
    data = snapshot.data
    for key, value in data["reports_received"].items():
        yield ["reports_received", key, "", value]
    yield ["reports_decided", "", "", data["reports_decided"]]
    for row in data["violations"]["by_rule"]:
        yield ["violations", row["rule"], row["category"], row["count"]]
    for key, value in data["violations"]["by_category"].items():
        yield ["violations_by_category", key, key, value]
    for key, value in data["sanctions"].items():
        yield ["sanctions", key, "", value]
    for key, value in data["appeals"].items():
        yield ["appeals", key, "", value]
    yield ["reversals", "", "", data["reversals"]]
    median = data["median_seconds_to_decision"]
    yield ["median_seconds_to_decision", "", "", "" if median is None else median]
