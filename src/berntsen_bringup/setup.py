from glob import glob

from setuptools import find_packages, setup

package_name = 'berntsen_bringup'


def share(subdir):
    return (f'share/{package_name}/{subdir}', glob(f'{subdir}/*.*'))


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    include_package_data=True,
    package_data={package_name: ['assets/*', 'assets/**/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{package_name}']),
        (f'share/{package_name}', ['package.xml']),
        share('config'),
        share('launch'),
    ],
    install_requires=['setuptools'],
    # colcon test runs pytest only when the package says it needs it (else unittest: 0 tests)
    extras_require={'test': ['pytest']},
    zip_safe=False,
    maintainer='Berntsen developers',
    maintainer_email='dev@berntsen.invalid',
    description='Graph description, launch files, parameters and the berntsen command of the Berntsen robot.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'berntsen = berntsen_bringup.cli:main',
            # sim.launch.py's session judge: ends the launch with the session, and fails it
            'session_judge = berntsen_bringup.session_judge:main',
            'recorder_node = berntsen_bringup.recorder_node:main',
            'care_link_node = berntsen_bringup.care_link_node:main',
        ],
    },
)
