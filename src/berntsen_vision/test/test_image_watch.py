from berntsen_vision.image_watch import FirstImageWatch


def test_a_publisher_that_never_delivers_is_given_up_on_after_the_timeout():
    watch = FirstImageWatch(timeout=20.0)
    assert watch.waited(0.0, publishers=0, received=0) is None, 'no camera yet: wait'
    assert watch.waited(5.0, publishers=1, received=0) is None   # the clock starts here
    assert watch.waited(25.0, publishers=1, received=0) is None
    assert watch.waited(25.5, publishers=1, received=0) == 20.5


def test_images_or_a_vanished_publisher_reset_the_wait():
    watch = FirstImageWatch(timeout=20.0)
    watch.waited(0.0, 1, 0)
    assert watch.waited(15.0, 0, 0) is None, 'the camera went away: a new one gets a fresh wait'
    assert watch.waited(16.0, 1, 0) is None and watch.waited(35.0, 1, 0) is None
    assert watch.waited(36.5, 1, 0) == 20.5
    assert watch.waited(100.0, 1, received=3) is None, 'images came: never given up on'


def test_a_zero_timeout_waits_for_ever():
    watch = FirstImageWatch(timeout=0.0)
    assert watch.waited(0.0, 1, 0) is None and watch.waited(1e6, 1, 0) is None
