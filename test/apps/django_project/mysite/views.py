from django.http import HttpResponse, JsonResponse


def index(request):
    return HttpResponse('Hello from Django')


def info(request, name):
    return JsonResponse({
        'name': name,
        'method': request.method,
        'path': request.path,
        'path_info': request.path_info,
        'script_name': request.META.get('SCRIPT_NAME'),
        'query': request.GET.dict(),
        'body': request.body.decode('utf-8'),
    })
